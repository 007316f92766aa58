"""The read-only JSON API under /api/v1/: the roster (districts, streets, communities) and the standard.

Scoped exactly like the pages: every queryset starts from `visible_to(request.user)`, so out of scope is 404
and never reveals that an object exists. Nothing here writes (other methods get 405). Counts are correlated
subqueries and relations are joined, so a page's query count does not grow with its rows.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

from districts.access import district_for, street_for
from districts.models import Community, District, Street
from districts.services import SURVEY_FIELDS
from standards.models import StandardCategory, StandardItem

from . import selectors
from .models import Campaign, Enrolment

# --- query parameters (validated by serializers, so a bad value is a 400 that names the parameter) -------


class DateQuery(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        help_text="The roster as of this day (YYYY-MM-DD); default today (Asia/Shanghai). Communities opened "
        "after it or closed on or before it are left out, and enrolment is the one active on it.",
    )


class StreetQuery(DateQuery):
    district = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Only this district's streets (division code). An unknown code or one outside your scope is a 404.",
    )


class CommunityQuery(DateQuery):
    district = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Only this district (division code). An unknown code or one outside your scope is a 404.",
    )
    street = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Only this street-level unit (division code). An unknown code or one outside your scope is a 404.",
    )
    enrolment = serializers.ChoiceField(
        choices=selectors.ENROLMENT_FILTERS,
        required=False,
        allow_blank=True,
        help_text="Enrolment in the current campaign on `date`: enrolled (pilot or batch), pilot, batch, "
        "not_enrolled, or withdrawn (withdrew and not enrolled again).",
    )
    kind = serializers.ChoiceField(choices=Community.Kind.values, required=False, allow_blank=True)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="Name contains this text; digits match the start of the division code.",
    )


# --- responses --------------------------------------------------------------------------------------------


class DistrictSerializer(serializers.ModelSerializer):
    street_count = serializers.IntegerField(read_only=True, help_text="Street-level units you can see.")
    community_count = serializers.IntegerField(read_only=True, help_text="Communities you can see on the roster.")

    class Meta:
        model = District
        fields = ["code", "name", "kind", "street_count", "community_count"]


class StreetSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="District code.")
    district_name = serializers.CharField(source="district.name", read_only=True)
    community_count = serializers.IntegerField(read_only=True, help_text="Communities you can see on the roster.")

    class Meta:
        model = Street
        fields = ["code", "name", "kind", "district", "district_name", "community_count"]


class CommunitySerializer(serializers.ModelSerializer):
    street = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Street-level unit code.")
    street_name = serializers.CharField(source="street.name", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="District code.")
    district_name = serializers.CharField(source="district.name", read_only=True)
    enrolment = serializers.ChoiceField(
        source="enrolment_kind",
        choices=Enrolment.Kind.choices,
        read_only=True,
        allow_null=True,
        help_text="Enrolment kind in the current campaign on `date`, or null when not enrolled.",
    )

    class Meta:
        model = Community
        fields = [
            "code",
            "name",
            "kind",
            "street",
            "street_name",
            "district",
            "district_name",
            "established_on",
            "closed_on",
            "enrolment",
            *SURVEY_FIELDS,
        ]


class StandardItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = StandardItem
        fields = ["number", "text", "allows_not_applicable"]


class StandardCategorySerializer(serializers.ModelSerializer):
    departments = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text="Responsible municipal departments."
    )
    items = StandardItemSerializer(many=True, read_only=True)

    class Meta:
        model = StandardCategory
        fields = ["number", "name", "departments", "items"]


# --- views ------------------------------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """PAGE_SIZE from settings; a client may ask for up to 1000 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 1000


class ReadOnlyApi(viewsets.ReadOnlyModelViewSet):
    # Token first, so an unauthenticated request is a 401 with `WWW-Authenticate: Token` rather than a 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    pagination_class = ApiPagination
    lookup_field = "code"
    list_query: type[serializers.Serializer] = DateQuery

    def params(self) -> dict[str, Any]:
        """The validated query parameters (400 on a bad value); detail views take only `date`."""
        if not hasattr(self, "_params"):
            query = self.list_query if self.action == "list" else DateQuery
            serializer = query(data=self.request.query_params)
            serializer.is_valid(raise_exception=True)
            self._params = serializer.validated_data
        return self._params

    @property
    def on(self) -> datetime.date:
        return self.params().get("date") or timezone.localdate()

    def visible_communities(self) -> QuerySet[Community]:
        return Community.objects.visible_to(self.request.user).on_roster(self.on)


@extend_schema_view(
    list=extend_schema(summary="Districts you can see", parameters=[DateQuery]),
    retrieve=extend_schema(summary="One district, by division code", parameters=[DateQuery]),
)
class DistrictViewSet(ReadOnlyApi):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer

    def get_queryset(self) -> QuerySet[District]:
        if getattr(self, "swagger_fake_view", False):
            return District.objects.none()
        user = self.request.user
        return (
            District.objects.visible_to(user)
            .annotate(
                street_count=selectors.correlated_count(Street.objects.visible_to(user), "district"),
                community_count=selectors.correlated_count(self.visible_communities(), "district"),
            )
            .order_by("code")
        )


@extend_schema_view(
    list=extend_schema(summary="Street-level units you can see", parameters=[StreetQuery]),
    retrieve=extend_schema(summary="One street-level unit, by division code", parameters=[DateQuery]),
)
class StreetViewSet(ReadOnlyApi):
    queryset = Street.objects.all()
    serializer_class = StreetSerializer
    list_query = StreetQuery

    def get_queryset(self) -> QuerySet[Street]:
        if getattr(self, "swagger_fake_view", False):
            return Street.objects.none()
        user = self.request.user
        streets = (
            Street.objects.visible_to(user)
            .select_related("district")
            .annotate(community_count=selectors.correlated_count(self.visible_communities(), "street"))
            .order_by("code")
        )
        if self.params().get("district"):
            streets = streets.filter(district=district_for(user, self.params()["district"]))
        return streets


@extend_schema_view(
    list=extend_schema(
        summary="Communities you can see on the roster",
        description="The roster as of `date` (default today), filtered; each row with its enrolment on that day.",
        parameters=[CommunityQuery],
    ),
    retrieve=extend_schema(
        summary="One community, by division code",
        description="Found whether or not it is on the roster on `date`; `enrolment` is as of `date`.",
        parameters=[DateQuery],
    ),
)
class CommunityViewSet(ReadOnlyApi):
    queryset = Community.objects.all()
    serializer_class = CommunitySerializer
    list_query = CommunityQuery

    def get_queryset(self) -> QuerySet[Community]:
        if getattr(self, "swagger_fake_view", False):
            return Community.objects.none()
        user = self.request.user
        params = self.params()
        campaign = Campaign.objects.current()
        if campaign is None:
            raise NotFound("No campaign is set up.")
        if self.action != "list":
            return selectors.community_list(user=user, campaign=campaign, on=self.on, include_closed=True)
        return selectors.community_list(
            user=user,
            campaign=campaign,
            on=self.on,
            district=district_for(user, params["district"]) if params.get("district") else None,
            street=street_for(user, params["street"]) if params.get("street") else None,
            text=params.get("q", ""),
            kind=params.get("kind", ""),
            enrolment=params.get("enrolment", ""),
        )


@extend_schema_view(
    list=extend_schema(summary="The standard: its categories, departments and items, in order"),
    retrieve=extend_schema(summary="One category of the standard, by number"),
)
class StandardCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The standard is the same for every signed-in user."""

    authentication_classes = ReadOnlyApi.authentication_classes
    pagination_class = ApiPagination
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    serializer_class = StandardCategorySerializer
    queryset = StandardCategory.objects.prefetch_related("departments", "items").order_by("number")
