from django.urls import path

from . import inspection_views

urlpatterns = [
    path("inspect/", inspection_views.inspection_assignments, name="inspection_assignments"),
    path("inspect/<int:assignment_pk>/", inspection_views.inspection_checklist, name="inspection_checklist"),
    path("inspect/<int:assignment_pk>/start/", inspection_views.inspection_start_view, name="inspection_start"),
    path("inspect/answer/<int:inspection_pk>/", inspection_views.inspection_answer, name="inspection_answer"),
    path("inspect/photo/<int:inspection_pk>/", inspection_views.inspection_photo, name="inspection_photo"),
    path("inspect/sign/<int:inspection_pk>/", inspection_views.inspection_sign, name="inspection_sign"),
    path("acceptance/inspections/<int:pk>/", inspection_views.inspection_record, name="inspection_record"),
]
