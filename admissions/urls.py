"""URLs of the admissions app."""

from django.urls import path

from admissions import views

app_name = "admissions"

urlpatterns = [
    path("", views.intake, name="intake"),
    path("thanks/", views.thanks, name="thanks"),
]
