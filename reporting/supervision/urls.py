from django.urls import path

from . import views

urlpatterns = [
    path("supervision/", views.supervision_list_view, name="supervision_list"),
    path("supervision/new/", views.supervision_create, name="supervision_create"),
    path("supervision/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("supervision/<int:pk>/edit/", views.supervision_edit, name="supervision_edit"),
    path("supervision/<int:pk>/findings/", views.finding_add, name="supervision_finding_add"),
    path("supervision/<int:pk>/actions/", views.required_action_add, name="supervision_required_add"),
    path("supervision/actions/<int:pk>/answer/", views.required_action_answer, name="supervision_required_answer"),
    path("supervision/actions/<int:pk>/close/", views.required_action_close, name="supervision_required_close"),
    path("supervision/actions/<int:pk>/return/", views.required_action_return, name="supervision_required_return"),
]
