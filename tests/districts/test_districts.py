"""The city's list of districts: kept by staff, chosen from by every form that asks for one."""

import pytest
from django.db import connection

import districts.demo
from districts.exceptions import DistrictError
from districts.forms import DistrictField
from districts.models import District
from districts.selectors import district_choices, district_names
from districts.services import district_check, district_create, districts_load
from jeonju_prepay.demo import DemoContext
from rentals.forms import PropertyForm
from tests.accounts.factories import CitizenFactory, LandlordFactory, OwnerFactory, StaffFactory


def test_demo_loads_jeonju_35_dongs_and_wanju_13_eup_myeon_once(city, other_city):
    districts.demo.seed(DemoContext(city=city))
    districts.demo.seed(DemoContext(city=city))  # again: nothing doubles
    assert District.objects.count() == 35
    assert District.objects.filter(ward="완산구").count() == 19
    assert District.objects.filter(ward="덕진구").count() == 16
    assert {"풍남동", "효자5동", "혁신동", "여의동", "금암동"} <= set(district_names())
    assert "동산동" not in district_names()  # renamed 여의동
    connection.set_tenant(other_city)
    try:
        assert District.objects.count() == 0  # each city its own list
        districts.demo.seed(DemoContext(city=other_city))
        kinds = dict(District.objects.values_list("name", "kind"))
        assert len(kinds) == 13
        assert list(kinds.values()).count("eup") == 3
        assert kinds["삼례읍"] == "eup"
        assert kinds["고산면"] == "myeon"
    finally:
        connection.set_tenant(city)


def test_choices_are_grouped_by_ward_when_the_city_has_wards(city):
    districts_load(rows=[("풍남동", "dong", "완산구"), ("진북동", "dong", "덕진구")])
    assert district_choices(blank_label="-") == [
        ("", "-"),
        ("완산구", [("풍남동", "풍남동")]),
        ("덕진구", [("진북동", "진북동")]),
    ]


def test_a_name_is_unique_and_not_empty(city):
    district_create(name=" 풍남동 ", ward="완산구")
    with pytest.raises(DistrictError):
        district_create(name="풍남동")
    with pytest.raises(DistrictError):
        district_create(name="  ")
    assert district_names() == ["풍남동"]


def test_check_refuses_a_typo_once_the_city_has_a_list(city):
    assert district_check("풍남 동") == "풍남 동"  # no list yet: nothing to choose from
    districts_load(rows=[("풍남동", "dong", "완산구")])
    assert district_check("풍남동") == "풍남동"
    with pytest.raises(DistrictError, match="풍남 동"):
        district_check("풍남 동")


def test_a_district_out_of_use_is_not_offered_but_kept_on_old_records(city):
    districts_load(rows=[("금암1동", "dong", "덕진구"), ("금암동", "dong", "덕진구")])
    District.objects.filter(name="금암1동").update(active=False)
    field = DistrictField()
    assert field.names == {"금암동"}
    with pytest.raises(DistrictError):
        district_check("금암1동")
    # A record that still names it shows it as its current value.
    assert DistrictField(include="금암1동").names == {"금암동", "금암1동"}


def test_the_property_form_offers_the_list_and_refuses_anything_else(city):
    districts_load(
        rows=[
            ("풍남동", "dong", "완산구"),
            ("중앙동", "dong", "완산구"),
            ("진북동", "dong", "덕진구"),
        ]
    )
    form = PropertyForm({"address": "전주시 완산구 태조로 15", "district": "풍남 동"})
    assert not form.is_valid()
    assert "district" in form.errors
    html = str(form["district"])
    assert "<select" in html
    assert '<optgroup label="완산구">' in html
    assert PropertyForm({"address": "전주시 완산구 태조로 15", "district": "중앙동"}).is_valid()


def test_the_landlord_page_refuses_a_district_typed_outside_the_list(client_for, city):
    districts_load(rows=[("풍남동", "dong", "완산구")])
    landlord = LandlordFactory()
    response = client_for(landlord).post(
        "/rentals/properties/new/", {"address": "전주시 완산구 태조로 1", "district": "픙남동"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not landlord.rental_properties.exists()


def test_staff_add_a_district_and_take_one_out_of_use(client_for, city):
    staff = StaffFactory()
    client = client_for(staff)
    response = client.post("/districts/", {"name": "송천3동", "kind": "dong", "ward": "덕진구"})
    assert response.status_code == 302
    district = District.objects.get(name="송천3동")
    assert client.post(f"/districts/{district.pk}/active/", {"active": "0"}).status_code == 302
    district.refresh_from_db()
    assert not district.active
    page = client.get("/districts/").content.decode()
    assert "송천3동" in page
    assert "다시 사용" in page


@pytest.mark.parametrize("factory", [CitizenFactory, OwnerFactory, LandlordFactory])
def test_only_staff_keep_the_list(client_for, city, factory):
    assert client_for(factory()).get("/districts/").status_code == 403
