from django.urls import path

from . import views

urlpatterns = [
    # A file's address is its random public id; the old numbered addresses match nothing (404).
    path("evidence/<uuid:public_id>/", views.evidence_file, name="evidence_file"),
    path("evidence/<uuid:public_id>/thumbnail/", views.evidence_thumbnail, name="evidence_thumbnail"),
]
