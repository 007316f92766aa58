"""URL routes of the acceptance pages for the commission, the districts and the departments."""

from django.urls import path

from . import acceptance_views as views
from . import recheck_views

urlpatterns = [
    path("acceptance/rounds/", views.acceptance_rounds, name="acceptance_rounds"),
    path("acceptance/rounds/<int:pk>/", views.acceptance_round, name="acceptance_round"),
    path("acceptance/rechecks/new/", recheck_views.recheck_round_new, name="recheck_round_new"),
    path("acceptance/communities/<code:code>/revoke/", recheck_views.revocation_new, name="revocation_new"),
    path("acceptance/rounds/<int:pk>/extend/", views.acceptance_round_extend, name="acceptance_round_extend"),
    path("acceptance/rounds/<int:pk>/teams/", views.acceptance_team_create, name="acceptance_team_create"),
    path("acceptance/rounds/<int:pk>/assign/", views.acceptance_assign, name="acceptance_assign"),
    path("acceptance/rectifications/", views.rectifications, name="rectifications"),
    path("acceptance/rectifications/<int:pk>/done/", views.rectification_done_view, name="rectification_done"),
    path(
        "acceptance/communities/<code:code>/reinspection/",
        views.reinspection_request_view,
        name="reinspection_request",
    ),
    path("acceptance/communities/<code:code>/", views.acceptance_record, name="acceptance_record"),
    path("acceptance/inspections/<int:pk>/objections/", views.objection_create, name="objection_create"),
    path("acceptance/objections/<int:pk>/decide/", views.objection_decide, name="objection_decide"),
    path("acceptance/items/", views.acceptance_items, name="acceptance_items"),
]
