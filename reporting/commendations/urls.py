from django.urls import path

from . import views

urlpatterns = [
    path("commendations/", views.commendation_list, name="commendation_list"),
    path("commendations/proposals/", views.commendation_proposals, name="commendation_proposals"),
    path("commendations/new/", views.commendation_propose, name="commendation_propose"),
    path("commendations/<int:pk>/approve/", views.commendation_approve, name="commendation_approve"),
    path("commendations/<int:pk>/decline/", views.commendation_decline, name="commendation_decline"),
]
