from django.urls import path

from . import views

urlpatterns = [
    path("login", views.login),
    path("me", views.me),
    path("logout", views.logout),
    path("api/ping", views.ping),
    path("products", views.products),
]
