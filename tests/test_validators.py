import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from anxin.core.masking import mask_name, mask_phone
from anxin.core.validators import (
    make_vin,
    validate_latitude,
    validate_longitude,
    validate_phone,
    validate_plate,
    validate_vin,
    vin_check_digit,
)

VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def test_a_published_vin_passes_its_check_digit():
    validate_vin("1M8GDM9AXKP042788")  # the textbook example with check digit X


@pytest.mark.parametrize(
    ("vin", "code"),
    [
        ("1M8GDM9A1KP042788", "vin_check"),
        ("1M8GDM9AXKP04278", "vin_length"),
        ("1M8GDM9AXKP0427O8", "vin_chars"),
        ("", "vin_length"),
    ],
)
def test_malformed_vins_are_refused_with_the_reason(vin, code):
    with pytest.raises(ValidationError) as err:
        validate_vin(vin)
    assert err.value.code == code


@given(
    st.text(alphabet=VIN_CHARS, min_size=11, max_size=11),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)
def test_made_vins_are_valid_and_any_single_change_of_the_check_digit_is_caught(prefix, serial):
    vin = make_vin(prefix, serial)
    validate_vin(vin)
    for other in "0123456789X":
        if other != vin[8]:
            with pytest.raises(ValidationError):
                validate_vin(vin[:8] + other + vin[9:])


@given(st.text(alphabet=VIN_CHARS, min_size=17, max_size=17))
def test_check_digit_is_always_a_digit_or_x(vin):
    assert vin_check_digit(vin) in "0123456789X"


@pytest.mark.parametrize(
    "phone",
    ["13812345678", "+8613812345678", "0571-87654321", "057187654321", "12122", "400-800-1234"],
)
def test_phone_numbers_people_write_are_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["abc", "1381234567", "23812345678", "138-1234-5678x", "手机"])
def test_phone_numbers_that_are_not_numbers_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


@pytest.mark.parametrize(
    ("lat", "lon"), [(91, 120), (30, 181), (-91, 0), (48.85, 2.35), (120.15, 30.27)]
)
def test_coordinates_outside_the_world_or_china_are_refused(lat, lon):
    with pytest.raises(ValidationError):
        validate_latitude(lat)
        validate_longitude(lon)


def test_a_hangzhou_coordinate_is_accepted():
    validate_latitude(30.27)
    validate_longitude(120.15)


@pytest.mark.parametrize("plate", ["浙A12345", "浙AD12345", "粤B8888F"])
def test_chinese_plates_are_accepted(plate):
    validate_plate(plate)


@pytest.mark.parametrize("plate", ["ZJ12345", "浙I12345", "浙A1"])
def test_malformed_plates_are_refused(plate):
    with pytest.raises(ValidationError):
        validate_plate(plate)


def test_masking_follows_the_field_convention():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("刘德华") == "刘**"
    assert mask_name("王五") == "王*"
