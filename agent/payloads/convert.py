"""Unit and colour conversions shared by the payload styles.

Percent <-> device scales (0-255, 0-254, 0-1000 ...), Celsius <-> Fahrenheit,
colour names <-> RGB / hue-saturation / CIE xy / colour temperature. Pure functions.
"""

from __future__ import annotations

import colorsys
import math

from .. import vocab

WHITES_KELVIN: dict[str, int] = {"warm white": 2700, "white": 4000, "cool white": 6500}
"""Colour names that mean a white tone; lights with colour temperature get these as CT."""


def half_up(value: float) -> int:
    """Round half away from zero (Python's ``round`` rounds half to even: 76.5 -> 76)."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def clamp(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def pct_to_scale(pct: float, scale: int = 255) -> int:
    """30 % of 0-255 -> 77. Any positive percentage gives at least 1 (a lit light)."""
    raw = half_up(clamp(pct, 0, 100) * scale / 100.0)
    return max(raw, 1) if pct > 0 else 0


def scale_to_pct(value: float, scale: int = 255) -> int:
    """77 of 0-255 -> 30. Any positive raw value gives at least 1 %."""
    pct = half_up(clamp(value, 0, scale) * 100.0 / scale)
    return max(pct, 1) if value > 0 else 0


def c_to_f(celsius: float) -> float:
    return celsius * 9.0 / 5.0 + 32.0


def f_to_c(fahrenheit: float) -> float:
    return (fahrenheit - 32.0) * 5.0 / 9.0


def convert_temperature(value: float, said: str, wanted: str) -> float:
    """A temperature said in unit ``said`` (``C``/``F``) expressed in ``wanted``."""
    if said == wanted:
        return float(value)
    return c_to_f(value) if wanted == "F" else f_to_c(value)


def round_step(value: float, step: float) -> float:
    """Round to the device's resolution (0.5 °C, 1 °F ...); whole numbers come out as int."""
    out = half_up(value / step) * step if step > 0 else value
    out = round(out, 6)
    return int(out) if float(out).is_integer() else out


# ----------------------------------------------------------------------------- colours

def color_name(name: str) -> str:
    """Canonical colour name (aliases resolved); KeyError if unknown."""
    key = name.strip().lower()
    key = vocab.COLOR_ALIASES.get(key, key)
    if key not in vocab.COLORS:
        raise KeyError(name)
    return key


def color_rgb(name: str) -> tuple[int, int, int]:
    return vocab.COLORS[color_name(name)]


def kelvin_of(name: str) -> int | None:
    """Colour temperature of a white-tone name, None for a hue."""
    try:
        return WHITES_KELVIN.get(color_name(name))
    except KeyError:
        return None


def kelvin_to_mired(kelvin: float) -> int:
    return half_up(1_000_000 / kelvin)


def mired_to_kelvin(mired: float) -> int:
    return half_up(1_000_000 / mired) if mired > 0 else 0


def rgb_to_hs(rgb: tuple[int, int, int]) -> tuple[int, int]:
    """Hue 0-359 degrees and saturation 0-100 %."""
    h, s, _ = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
    return half_up(h * 360) % 360, half_up(s * 100)


def hs_to_rgb(hue: float, saturation: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((hue % 360) / 360.0, clamp(saturation, 0, 100) / 100.0, 1.0)
    return half_up(r * 255), half_up(g * 255), half_up(b * 255)


def _linear(c: float) -> float:
    return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92


def _gamma(c: float) -> float:
    c = clamp(c, 0.0, 1.0)
    return 1.055 * c ** (1 / 2.4) - 0.055 if c > 0.0031308 else 12.92 * c


# sRGB (D65) <-> CIE XYZ
_TO_XYZ = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
_FROM_XYZ = ((3.2406, -1.5372, -0.4986), (-0.9689, 1.8758, 0.0415), (0.0557, -0.2040, 1.0570))


def rgb_to_xy(rgb: tuple[int, int, int]) -> tuple[float, float]:
    """CIE 1931 chromaticity of an sRGB colour, 4 decimals (what Zigbee lights take)."""
    lin = [_linear(c / 255.0) for c in rgb]
    x, y, z = (sum(m * c for m, c in zip(row, lin)) for row in _TO_XYZ)
    total = x + y + z
    if total <= 0:
        return 0.3127, 0.3290  # black has no chromaticity: D65 white point
    return round(x / total, 4), round(y / total, 4)


def xy_to_rgb(x: float, y: float) -> tuple[int, int, int]:
    """The brightest sRGB colour with chromaticity (x, y)."""
    if y <= 0:
        return 0, 0, 0
    big_y = 1.0
    big_x, big_z = x * big_y / y, (1 - x - y) * big_y / y
    lin = [sum(m * c for m, c in zip(row, (big_x, big_y, big_z))) for row in _FROM_XYZ]
    peak = max(lin)
    if peak > 1:
        lin = [c / peak for c in lin]
    return tuple(half_up(_gamma(c) * 255) for c in lin)  # type: ignore[return-value]


def nearest_color(rgb: tuple[int, int, int]) -> str:
    """The named colour closest in hue/saturation/value to ``rgb`` (for reporting state)."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))

    def distance(name: str) -> float:
        h2, s2, v2 = colorsys.rgb_to_hsv(*(c / 255.0 for c in vocab.COLORS[name]))
        dh = min(abs(h - h2), 1 - abs(h - h2)) * 2
        return (dh * min(s, s2)) ** 2 * 4 + (s - s2) ** 2 + (v - v2) ** 2 * 0.25

    return min(vocab.COLORS, key=distance)


def parse_rgb(text: str) -> tuple[int, int, int] | None:
    """``"255,0,0"``, ``"#FF0000"``, ``"FF0000"`` (Tasmota adds white channels) -> RGB."""
    text = text.strip()
    if "," in text:
        parts = text.split(",")
        if len(parts) >= 3 and all(p.strip().isdigit() for p in parts[:3]):
            return tuple(int(clamp(int(p), 0, 255)) for p in parts[:3])  # type: ignore[return-value]
        return None
    hexpart = text.lstrip("#")
    if len(hexpart) >= 6 and all(c in "0123456789abcdefABCDEF" for c in hexpart[:6]):
        return int(hexpart[0:2], 16), int(hexpart[2:4], 16), int(hexpart[4:6], 16)
    return None
