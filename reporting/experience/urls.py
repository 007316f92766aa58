from django.urls import path

from . import views

urlpatterns = [
    path("experience/", views.experience_list, name="experience_list"),
    path("experience/new/", views.experience_create, name="experience_create"),
    path("experience/events/", views.experience_events, name="experience_events"),
    path("experience/<int:pk>/", views.experience_detail, name="experience_detail"),
    path("experience/<int:pk>/edit/", views.experience_edit, name="experience_edit"),
    path("experience/<int:pk>/submit/", views.experience_submit, name="experience_submit"),
    path("experience/<int:pk>/return/", views.experience_return, name="experience_return"),
    path("experience/<int:pk>/publish/", views.experience_publish, name="experience_publish"),
    path("experience/<int:pk>/promote/", views.experience_promote, name="experience_promote"),
    path("experience/<int:pk>/files/", views.experience_file_upload, name="experience_file_upload"),
    path(
        "experience/<int:pk>/files/<uuid:public_id>/remove/",
        views.experience_file_remove,
        name="experience_file_remove",
    ),
]
