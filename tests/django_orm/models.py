"""The models the scenarios cache and query."""

from django.db import models


class Category(models.Model):
    title = models.CharField(max_length=50)

    class Meta:
        app_label = "django_orm"


class Post(models.Model):
    title = models.CharField(max_length=50)
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
    visible = models.BooleanField(default=True)

    class Meta:
        app_label = "django_orm"
