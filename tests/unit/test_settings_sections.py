"""kit.config.settings_from_section: a config section becomes a service's settings dataclass
(pure logic; each service's own settings are exercised by its suite)."""
from dataclasses import dataclass

from kit.config import settings_from_section


@dataclass(frozen=True)
class Example:
    uri: str
    interval_s: float = 5.0
    batch: int = 100
    name: str = "sandbox"


def test_given_values_take_their_defaults_type_and_the_rest_keep_their_defaults():
    config = {"EXAMPLE": {"interval_s": "2", "batch": "7", "unrelated": 1}}
    settings = settings_from_section(Example, config, "EXAMPLE", uri="x")
    assert settings == Example(uri="x", interval_s=2.0, batch=7, name="sandbox")
    assert isinstance(settings.interval_s, float) and isinstance(settings.batch, int)


def test_a_blank_or_missing_section_or_value_means_the_default():
    assert settings_from_section(Example, {"EXAMPLE": None}, "EXAMPLE", uri="x") == Example("x")
    assert settings_from_section(Example, {}, "EXAMPLE", uri="x") == Example("x")
    blank = {"EXAMPLE": {"batch": "", "name": None}}
    assert settings_from_section(Example, blank, "EXAMPLE", uri="x") == Example("x")


def test_an_older_name_is_read_when_the_field_itself_is_not_given():
    aliases = {"batch": ("batch_size",)}
    old = {"EXAMPLE": {"batch_size": "9"}}
    both = {"EXAMPLE": {"batch_size": "9", "batch": "3"}}
    assert settings_from_section(Example, old, "EXAMPLE", aliases, uri="x").batch == 9
    assert settings_from_section(Example, both, "EXAMPLE", aliases, uri="x").batch == 3


def test_fixed_fields_are_not_read_from_the_section():
    config = {"EXAMPLE": {"uri": "from-the-section"}}
    assert settings_from_section(Example, config, "EXAMPLE", uri="fixed").uri == "fixed"
