"""The read-only JSON API under /api/v1/: the roster (districts, streets, communities), the standard and the
campaign's progress.

Scoped exactly like the pages: every queryset starts from `visible_to(request.user)`, so out of scope is 404
and never reveals that an object exists. Nothing here writes (other methods get 405). Counts are correlated
subqueries and relations are joined, so a page's query count does not grow with its rows.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Max, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from districts.access import district_for, street_for
from districts.models import Community, Department, District, Street
from districts.scope import scope_of
from districts.services import SURVEY_FIELDS
from greencommunity.security import lockout_response
from reporting.api.auth import API_AUTHENTICATION
from reporting.api.schema import ApiAutoSchema, ApiPagination, Detail
from reporting.figures import selectors
from reporting.models import Campaign, Enrolment, ProgressSnapshot
from standards.models import StandardCategory, StandardItem
from standards.selectors import standard_categories

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# --- query parameters (validated by serializers, so a bad value is a 400 that names the parameter) -------


DATE_ERRORS: dict[str, StrOrPromise] = {"invalid": _("Give the date as YYYY-MM-DD, for example 2021-05-31.")}


class Query(serializers.Serializer):
    """Query parameters. DRF skips a blank value as if it were absent; here a blank date or level is refused like
    any other bad value (the schema promises a date or one of the levels), while text filters may be blank."""

    def to_internal_value(self, data: Any) -> Any:
        blank = {
            name: [str(field.error_messages["invalid_choice" if hasattr(field, "choices") else "invalid"])]
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise ValidationError(blank)
        return super().to_internal_value(data)


class CampaignQuery(Query):
    campaign = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={"invalid": _("The campaign is given by its number, for example 1.")},
        help_text="The campaign (its id); default the current one. An unknown campaign is a 404.",
    )


def campaign_of(params: dict[str, Any]) -> Campaign:
    """The campaign the query names, or the current one; 404 when there is none."""
    if params.get("campaign"):
        campaign = Campaign.objects.select_related("standard").filter(pk=params["campaign"]).first()
    else:
        campaign = Campaign.objects.current()
    if campaign is None:
        raise NotFound(_("There is no such campaign."))
    return campaign


class DateQuery(Query):
    date = serializers.DateField(
        required=False,
        error_messages=DATE_ERRORS,
        help_text="The roster as of this day (YYYY-MM-DD); default today (Asia/Shanghai). Communities opened "
        "after it or closed on or before it are left out, and enrolment is the one active on it.",
    )


class StreetQuery(DateQuery):
    district = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Only this district's streets (division code). An unknown code or one outside your scope is a 404.",
    )


class CommunityQuery(DateQuery, CampaignQuery):
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
    district: serializers.SlugRelatedField[District] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="District code."
    )
    district_name = serializers.CharField(source="district.name", read_only=True)
    community_count = serializers.IntegerField(read_only=True, help_text="Communities you can see on the roster.")

    class Meta:
        model = Street
        fields = ["code", "name", "kind", "district", "district_name", "community_count"]


class CommunitySerializer(serializers.ModelSerializer):
    street: serializers.SlugRelatedField[Street] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Street-level unit code."
    )
    street_name = serializers.CharField(source="street.name", read_only=True)
    district: serializers.SlugRelatedField[District] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="District code."
    )
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
    departments: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text="Responsible municipal departments."
    )
    items = StandardItemSerializer(many=True, read_only=True)

    class Meta:
        model = StandardCategory
        fields = ["number", "name", "departments", "items"]


# --- views ------------------------------------------------------------------------------------------------


class ReadOnlyApi(viewsets.ReadOnlyModelViewSet):
    authentication_classes = API_AUTHENTICATION
    pagination_class = ApiPagination
    schema = ApiAutoSchema()
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
        campaign = campaign_of(params)
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
    list=extend_schema(
        summary="A campaign's standard: its categories, departments and items, in order", parameters=[CampaignQuery]
    ),
    retrieve=extend_schema(summary="One category of a campaign's standard, by number", parameters=[CampaignQuery]),
)
class StandardCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The standard of a campaign (default the current one) is the same for every signed-in user."""

    authentication_classes = ReadOnlyApi.authentication_classes
    pagination_class = ApiPagination
    schema = ApiAutoSchema()
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    serializer_class = StandardCategorySerializer
    queryset = StandardCategory.objects.none()

    def get_queryset(self) -> QuerySet[StandardCategory]:
        if getattr(self, "swagger_fake_view", False):
            return StandardCategory.objects.none()
        query = CampaignQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return standard_categories(standard=campaign_of(query.validated_data).standard_id)


# --- progress -----------------------------------------------------------------------------------------------


class ProgressQuery(CampaignQuery):
    level = serializers.ChoiceField(
        choices=ProgressSnapshot.Level.values,
        required=False,
        default=ProgressSnapshot.Level.DISTRICT,
        error_messages={"invalid_choice": _("The level must be city, district or street.")},
        help_text="Which units: the city, the districts (default) or the street-level units.",
    )
    district = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Only this district (division code): its own row, or its street-level units with level=street. "
        "An unknown code or one outside your scope is a 404.",
    )
    date = serializers.DateField(
        required=False,
        error_messages=DATE_ERRORS,
        help_text="The figures as of this day (YYYY-MM-DD); default today (Asia/Shanghai). The answer is the latest "
        "snapshot on or before it (snapshots are kept for every month's end and today): see `as_of`.",
    )


class ProgressSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="unit_code", help_text="Division code (the city's for the city).")
    name = serializers.CharField(source="unit_name")
    parent_code = serializers.CharField(help_text="The district of a street-level unit, the city of a district.")
    met_share = serializers.DecimalField(
        max_digits=6, decimal_places=4, help_text="Communities meeting the standard ÷ urban communities (0 to 1)."
    )
    as_of = serializers.DateField(source="on", help_text="The date of the snapshot these figures come from.")

    class Meta:
        model = ProgressSnapshot
        fields = [
            "code",
            "name",
            "level",
            "parent_code",
            "roster",
            "participating",
            "pilots",
            "streets",
            "streets_with_pilot",
            "self_assessed",
            "met",
            "met_share",
            "target_share",
            "target_due_on",
            "projected_share",
            "status",
            "as_of",
        ]


def _visible_snapshots(user: Any, snapshots: QuerySet[ProgressSnapshot]) -> QuerySet[ProgressSnapshot]:
    """Scoped like the pages: the city's readers see every unit, district staff their district and its
    street-level units, street staff their own unit, everyone else nothing."""
    scope = scope_of(user)
    level = ProgressSnapshot.Level
    if scope.sees_whole_city:
        return snapshots
    if scope.street_id:
        own = Street.objects.filter(pk=scope.street_id).values("code")
        return snapshots.filter(level=level.STREET, unit_code=Subquery(own))
    if scope.district_id:
        return snapshots.filter(
            Q(level=level.DISTRICT, unit_code=scope.district_code)
            | Q(level=level.STREET, parent_code=scope.district_code)
        )
    return snapshots.none()


@extend_schema_view(
    list=extend_schema(
        summary="The campaign's progress per unit",
        description="Urban communities, participation, pilots, 街道 with a pilot, self-assessed and met communities, "
        "the met share and the status against the current milestone (on_track, at_risk, behind, or none), for the "
        "city, the districts or the street-level units you can see, from the latest snapshot on or before `date`.",
        parameters=[ProgressQuery],
    ),
)
class ProgressViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    authentication_classes = ReadOnlyApi.authentication_classes
    pagination_class = ApiPagination
    schema = ApiAutoSchema()
    serializer_class = ProgressSerializer
    queryset = ProgressSnapshot.objects.none()

    def get_queryset(self) -> QuerySet[ProgressSnapshot]:
        if getattr(self, "swagger_fake_view", False):
            return ProgressSnapshot.objects.none()
        query = ProgressQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        campaign = campaign_of(params)
        user, level = self.request.user, params["level"]
        snapshots = _visible_snapshots(user, ProgressSnapshot.objects.filter(campaign=campaign, level=level))
        if params.get("district"):
            code = district_for(user, params["district"]).code
            if level == ProgressSnapshot.Level.STREET:
                snapshots = snapshots.filter(parent_code=code)
            else:
                snapshots = snapshots.filter(unit_code=code)
        on = params.get("date") or timezone.localdate()
        latest = snapshots.filter(on__lte=on).aggregate(latest=Max("on"))["latest"]
        return snapshots.filter(on=latest).order_by("unit_code") if latest else snapshots.none()


# --- token ----------------------------------------------------------------------------------------------------


class TokenAnswer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenRequest(AuthTokenSerializer):
    # As long as the login form allows: a longer name cannot exist, and django-axes could not record it.
    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)
    password = serializers.CharField(
        label=_("Password"), max_length=4096, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )


class TokenView(ObtainAuthToken):
    """A token for a username and password; throttled like the login page (django-axes checks the pair first)."""

    serializer_class = TokenRequest

    @extend_schema(
        summary="A token for your username and password",
        request=TokenRequest,
        responses={
            200: TokenAnswer,
            400: OpenApiResponse(
                {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                description="Missing fields, or a wrong username or password.",
            ),
            429: OpenApiResponse(
                Detail,
                description="Too many failed logins for this username from this address, or from this address "
                "whatever the usernames: locked out for now.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # django-axes marks the request it was given (this DRF request) when the pair is locked out.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request, None, {"username": str(request.data.get("username", ""))})
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
