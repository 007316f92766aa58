from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("roster/", views.roster_districts, name="roster_districts"),
    path("roster/communities/", views.community_search, name="community_search"),
    path("roster/district/<code:code>/", views.roster_district, name="roster_district"),
    path("roster/street/<code:code>/", views.roster_street, name="roster_street"),
    path("communities/<code:code>/", views.community_detail, name="community_detail"),
    path("enrolment/<code:code>/", views.enrolment, name="enrolment"),
    path("enrolment/<code:code>/enrol/", views.enrolment_enrol_view, name="enrolment_enrol"),
    path("enrolment/withdraw/<int:pk>/", views.enrolment_withdraw_view, name="enrolment_withdraw"),
]
