"""URL routes of the districts' refinements of the standard (细化指标)."""

from django.urls import path

from . import refinement_views as views

urlpatterns = [
    path("refinements/", views.refinement_list, name="refinement_list"),
    path("refinements/new/", views.refinement_create, name="refinement_create"),
    path("refinements/review/", views.refinement_review, name="refinement_review"),
    path("refinements/compare/", views.refinement_compare, name="refinement_compare"),
    path("refinements/<int:pk>/", views.refinement_detail, name="refinement_detail"),
    path("refinements/<int:pk>/edit/", views.refinement_edit, name="refinement_edit"),
    path("refinements/<int:pk>/submit/", views.refinement_submit, name="refinement_submit"),
    path("refinements/<int:pk>/withdraw/", views.refinement_withdraw, name="refinement_withdraw"),
    path("refinements/<int:pk>/approve/", views.refinement_approve, name="refinement_approve"),
    path("refinements/<int:pk>/return/", views.refinement_return, name="refinement_return"),
]
