"""URL routes of the PDF documents: the list and request form, the progress fragment and the download."""

from django.urls import path

from reporting.documents import views as document_views

urlpatterns = [
    path("documents/", document_views.documents, name="documents"),
    path("documents/request/", document_views.document_request_view, name="document_request"),
    path("documents/<int:pk>/status/", document_views.document_status, name="document_status"),
    path("documents/<int:pk>/download/", document_views.document_download, name="document_download"),
]
