from django.urls import path

from . import views

urlpatterns = [
    path("communities/<code:code>/edit/", views.community_edit, name="community_edit"),
    path("audit/", views.audit_list, name="audit_list"),
]
