from django.urls import path

from reporting.reports import evidence_views

urlpatterns = [
    path("reports/<int:pk>/evidence/", evidence_views.evidence_upload, name="evidence_upload"),
    path(
        "reports/<int:pk>/evidence/<uuid:public_id>/remove/",
        evidence_views.evidence_remove,
        name="evidence_remove",
    ),
]
