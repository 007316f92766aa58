from django.urls import path

from reporting import views
from reporting.campaigns import views as campaign_views
from reporting.reports import views as report_views
from reporting.roster import release_views

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/standard-import/", campaign_views.standard_import, name="standard_import"),
    path("campaigns/<int:pk>/standard/", campaign_views.campaign_standard, name="campaign_standard"),
    path("campaigns/<int:pk>/standard/add/", campaign_views.campaign_standard_add, name="campaign_standard_add"),
    path(
        "campaigns/<int:pk>/standard/items/<int:item_pk>/",
        campaign_views.campaign_standard_item,
        name="campaign_standard_item",
    ),
    path("campaigns/<int:pk>/current/", campaign_views.campaign_make_current_view, name="campaign_make_current"),
    path("roster/", views.roster_districts, name="roster_districts"),
    path("roster/communities/", views.community_search, name="community_search"),
    path("roster/district/<code:code>/", views.roster_district, name="roster_district"),
    path("roster/street/<code:code>/", views.roster_street, name="roster_street"),
    path("roster/releases/", release_views.roster_releases, name="roster_releases"),
    path("roster/releases/<int:pk>/", release_views.roster_release, name="roster_release"),
    path("roster/releases/<int:pk>/apply/", release_views.roster_release_apply, name="roster_release_apply"),
    path("roster/releases/<int:pk>/discard/", release_views.roster_release_discard, name="roster_release_discard"),
    path("roster/releases/<int:pk>/status/", release_views.roster_release_status, name="roster_release_status"),
    path("communities/<code:code>/", views.community_detail, name="community_detail"),
    path("enrolment/<code:code>/", views.enrolment, name="enrolment"),
    path("enrolment/<code:code>/enrol/", views.enrolment_enrol_view, name="enrolment_enrol"),
    path("enrolment/withdraw/<int:pk>/", views.enrolment_withdraw_view, name="enrolment_withdraw"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/review/", report_views.report_review_queue, name="report_review_queue"),
    path("reports/start/", report_views.report_start, name="report_start"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/print/", report_views.report_print, name="report_print"),
    path("reports/<int:pk>/narrative/", report_views.report_narrative_save, name="report_narrative_save"),
    path("reports/<int:pk>/rows/", report_views.report_rows, name="report_rows"),
    path("reports/<int:pk>/rows/bulk/", report_views.report_rows_bulk, name="report_rows_bulk"),
    path("reports/<int:pk>/rows/<int:row_pk>/", report_views.report_row, name="report_row"),
    path("reports/<int:pk>/submit/", report_views.report_submit_view, name="report_submit"),
    path("reports/<int:pk>/return/", report_views.report_return_view, name="report_return"),
    path("reports/<int:pk>/accept/", report_views.report_accept_view, name="report_accept"),
    path("reports/<int:pk>/unlock/", report_views.report_unlock_view, name="report_unlock"),
]
