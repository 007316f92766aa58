"""The user's own notifications."""

from django.urls import path

from reporting.notifications import views as notification_views

urlpatterns = [
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/read-all/", notification_views.notifications_read_all, name="notifications_read_all"),
]
