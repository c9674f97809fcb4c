"""The few SVG elements podnet's diagrams use, as text: no drawing library, no fonts to fetch."""

from xml.sax.saxutils import escape, quoteattr

FONT = "Helvetica, Arial, sans-serif"
#: Average width of a character at font size 1 (Helvetica-like fonts run about 0.5-0.6 em); used to fit labels.
CHAR_WIDTH_EM = 0.6


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` pixels."""
    return len(text) * size * CHAR_WIDTH_EM


def rect(x: float, y: float, width: float, height: float, fill: str, *, title: str = "", stroke: str = "#333") -> str:
    hover = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 1.0):.1f}" height="{height:.1f}" fill="{fill}"'
        f' stroke="{stroke}" stroke-width="0.8">{hover}</rect>'
    )


def text(x: float, y: float, content: str, *, size: float = 11, anchor: str = "start", weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}"'
        f' font-family="{FONT}">{escape(content)}</text>'
    )


def line(x1: float, y1: float, x2: float, y2: float, *, colour: str = "#555") -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="0.8"/>'


def document(width: float, height: float, title: str, body: list[str]) -> str:
    """A standalone SVG document; ``title`` is its accessible name."""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}"'
            f' viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label={quoteattr(title)}>',
            f"<title>{escape(title)}</title>",
            '<defs><pattern id="free" width="6" height="6" patternUnits="userSpaceOnUse"'
            ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#cfcfcf" stroke-width="2"/></pattern></defs>',
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
            *body,
            "</svg>",
            "",
        ]
    )
