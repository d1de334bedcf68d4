"""URLs of the education app, under /medications/."""

from django.urls import path

from education import views

app_name = "education"

urlpatterns = [
    path("", views.guide_list, name="guide-list"),
    path("<slug:slug>/", views.guide_detail, name="guide-detail"),
]
