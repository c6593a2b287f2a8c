from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns import services
from campaigns.plain_text import html_to_text
from campaigns.templating import (
    CompiledTemplate,
    Keyword,
    Slot,
    TemplateError,
    TemplateProblem,
    compile_template,
)
from channels_email import services as email_services
from channels_email.templating import (
    check_link_schemes,
    compile_email_body,
    html_value,
    markdown_to_html,
    sanitize_email_html,
)


def problems_of(text: str) -> list[TemplateProblem]:
    with pytest.raises(TemplateError) as caught:
        compile_template(text)
    return caught.value.problems


def only_problem(text: str) -> TemplateProblem:
    [problem] = problems_of(text)
    return problem


def only_problem_of_body(html: str) -> TemplateProblem:
    with pytest.raises(TemplateError) as caught:
        compile_email_body(html)
    [problem] = caught.value.problems
    return problem


# Parsing


def test_compile_template_plain_text_splits_literals_and_keywords() -> None:
    template = compile_template("Hi {{name}}, your slot is {{slot_time}}.")

    assert template.parts == ("Hi ", Keyword("name"), ", your slot is ", Keyword("slot_time"), ".")
    assert template.keywords == frozenset({"name", "slot_time"})


def test_compile_template_mixed_case_normalises_to_lower_case() -> None:
    template = compile_template("{{Name}} {{NAME}} {{nAmE}}")

    assert template.keywords == frozenset({"name"})
    assert template.render({"name": "Ann"}) == "Ann Ann Ann"


def test_compile_template_spaces_inside_braces_are_allowed() -> None:
    template = compile_template("{{ first_name }} {{\tlast_name\t}} {{   x1   }}")

    assert template.keywords == frozenset({"first_name", "last_name", "x1"})


def test_compile_template_stray_closing_braces_are_literal_text() -> None:
    template = compile_template("Smile }} and {single} %} braces")

    assert template.parts == ("Smile }} and {single} %} braces",)
    assert template.keywords == frozenset()


def test_compile_template_invalid_characters_names_token_and_position() -> None:
    problem = only_problem("Hello {{ first-name }}")

    assert problem.message == (
        'Invalid keyword "{{ first-name }}" at line 1, column 7: '
        "keywords may contain only letters, numbers and underscores."
    )
    assert (problem.token, problem.line, problem.column, problem.offset) == ("{{ first-name }}", 1, 7, 6)


def test_compile_template_empty_keyword_reports_line_two() -> None:
    problem = only_problem("Dear all,\n{{}} and more")

    assert problem.message == 'Empty keyword "{{}}" at line 2, column 1.'
    assert (problem.token, problem.line, problem.column, problem.offset) == ("{{}}", 2, 1, 10)


def test_compile_template_blank_keyword_is_empty() -> None:
    assert only_problem("x {{   }}").message == 'Empty keyword "{{   }}" at line 1, column 3.'


def test_compile_template_unclosed_keyword_asks_for_closing_braces() -> None:
    problem = only_problem("Hello there{{name")

    assert problem.message == 'Unclosed "{{" at line 1, column 12: add "}}" to close the keyword.'
    assert (problem.token, problem.line, problem.column, problem.offset) == ("{{", 1, 12, 11)


def test_compile_template_closing_braces_on_next_line_is_unclosed() -> None:
    problem = only_problem("Hi {{name\n}}")

    assert problem.message == 'Unclosed "{{" at line 1, column 4: add "}}" to close the keyword.'


def test_compile_template_unclosed_then_valid_keyword_keeps_scanning() -> None:
    problem = only_problem("Hi {{name and {{email}}")

    assert (problem.token, problem.column) == ("{{", 4)


def test_compile_template_section_is_template_logic() -> None:
    problem = only_problem("{{#section}}")

    assert problem.message == (
        '"{{#section}}" at line 1, column 1: sections and other template logic are not supported; '
        "use {{keyword}} only."
    )
    assert (problem.line, problem.column) == (1, 1)


@pytest.mark.parametrize("token", ["{{/section}}", "{{^empty}}", "{{> partial}}", "{{! note }}", "{{&raw}}"])
def test_compile_template_mustache_logic_is_refused(token: str) -> None:
    problem = only_problem(f"ab {token}")

    assert problem.message == (
        f'"{token}" at line 1, column 4: sections and other template logic are not supported; '
        "use {{keyword}} only."
    )


def test_compile_template_triple_braces_are_refused() -> None:
    problem = only_problem("Hi {{{name}}}!")

    assert problem.message == (
        'Too many braces in "{{{name}}}" at line 1, column 4: '
        "write keywords with exactly two braces, like {{keyword}}."
    )
    assert (problem.token, problem.line, problem.column) == ("{{{name}}}", 1, 4)


def test_compile_template_extra_closing_brace_is_refused() -> None:
    assert only_problem("{{name}}}").token == "{{name}}}"


def test_compile_template_django_tag_is_refused() -> None:
    problem = only_problem("Hi\n  {% debug %}")

    assert problem.message == (
        'Template tag "{% debug %}" at line 2, column 3: template tags are not supported; '
        "use {{keyword}} only."
    )
    assert (problem.token, problem.line, problem.column, problem.offset) == ("{% debug %}", 2, 3, 5)


def test_compile_template_nested_keyword_is_refused() -> None:
    problem = only_problem("Hi {{ {{x}} }}!")

    assert problem.message == (
        'Nested keyword "{{ {{x}} }}" at line 1, column 4: a keyword cannot contain another keyword.'
    )
    assert (problem.token, problem.column) == ("{{ {{x}} }}", 4)


def test_compile_template_settings_injection_is_an_invalid_keyword() -> None:
    problem = only_problem("{{ settings.SECRET_KEY }}")

    assert problem.message == (
        'Invalid keyword "{{ settings.SECRET_KEY }}" at line 1, column 1: '
        "keywords may contain only letters, numbers and underscores."
    )


def test_compile_template_jinja_filter_is_an_invalid_keyword() -> None:
    assert only_problem("{{ name|upper }}").message.startswith('Invalid keyword "{{ name|upper }}"')


def test_compile_template_several_errors_are_all_collected() -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template("{{ ok }}\n{{bad-one}} {{}}\n{% if x %} {{ open")

    found = [(p.token, p.line, p.column) for p in caught.value.problems]
    assert found == [("{{bad-one}}", 2, 1), ("{{}}", 2, 13), ("{% if x %}", 3, 1), ("{{", 3, 12)]
    assert str(caught.value) == "\n".join(p.message for p in caught.value.problems)


# Rendering


def test_render_walks_parts_without_compiling() -> None:
    template = CompiledTemplate(
        parts=("{{not parsed}} ", Keyword("name"), " {% debug %}"), keywords=frozenset({"name"})
    )

    assert template.render({"name": "Ann"}) == "{{not parsed}} Ann {% debug %}"


def test_render_missing_value_is_empty() -> None:
    assert compile_template("Hi {{name}}!").render({}) == "Hi !"


def test_render_plain_text_inserts_values_verbatim() -> None:
    template = compile_template("Hi {{name}}, see {{form_link}}")

    assert template.render({"name": "<b>Ann</b> & co", "form_link": "https://x.sg"}) == (
        "Hi <b>Ann</b> & co, see https://x.sg"
    )


def test_render_html_escapes_script_in_value() -> None:
    template = compile_email_body("<p>Hi {{ name }}</p>")

    rendered = template.render({"name": '<script>alert("x")</script>'}, fill=html_value)

    assert rendered == "<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"


def test_render_html_url_keyword_becomes_link() -> None:
    template = compile_email_body("<p>Form: {{ form_link }} Site: {{ home_url }}</p>")

    rendered = template.render(
        {"form_link": "https://f.sg/a?b=1&c=2", "home_url": "http://x.sg"}, fill=html_value
    )

    assert rendered == (
        '<p>Form: <a href="https://f.sg/a?b=1&amp;c=2" rel="noopener noreferrer">https://f.sg/a?b=1&amp;c=2</a>'
        ' Site: <a href="http://x.sg" rel="noopener noreferrer">http://x.sg</a></p>'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("JaVaScRiPt:alert(1)", "JaVaScRiPt:alert(1)"),
        ('https://x.sg/"><script>', "https://x.sg/&quot;&gt;&lt;script&gt;"),
        ("data:text/html,<b>", "data:text/html,&lt;b&gt;"),
        ("not a url", "not a url"),
    ],
)
def test_render_html_url_keyword_refuses_non_web_links(value: str, expected: str) -> None:
    rendered = compile_email_body("<p>{{ form_link }}</p>").render({"form_link": value}, fill=html_value)

    if value.startswith("https://"):
        assert rendered == f'<p><a href="{expected}" rel="noopener noreferrer">{expected}</a></p>'
    else:
        assert rendered == f"<p>{expected}</p>"


def test_render_html_keyword_in_href_renders_only_the_url() -> None:
    template = compile_email_body('<p><a href="{{ form_link }}">Open the form</a></p>')

    assert template.parts[1] == Keyword("form_link", Slot.URL, "href")
    assert template.parts[1].in_attribute  # type: ignore[union-attr]
    rendered = template.render({"form_link": "https://f.sg/?a=1&b=2"}, fill=html_value)
    assert (
        rendered == '<p><a href="https://f.sg/?a=1&amp;b=2" rel="noopener noreferrer">Open the form</a></p>'
    )


@pytest.mark.parametrize("value", ["javascript:alert(1)", " java\tscript:alert(1)", "/relative", "data:x"])
def test_render_html_keyword_in_href_drops_unsafe_url(value: str) -> None:
    template = compile_email_body('<a href="{{ form_link }}">Open</a>')

    assert (
        template.render({"form_link": value}, fill=html_value)
        == '<a href="" rel="noopener noreferrer">Open</a>'
    )


def test_render_html_keyword_in_href_allows_mailto() -> None:
    template = compile_email_body('<a href="{{ contact }}">Write</a>')

    rendered = template.render({"contact": "mailto:help@x.sg"}, fill=html_value)

    assert rendered == '<a href="mailto:help@x.sg" rel="noopener noreferrer">Write</a>'


def test_render_html_keyword_after_officer_scheme_is_escaped_text() -> None:
    template = compile_email_body('<a href="https://x.sg/?id={{ id }}">Go</a>')

    assert template.parts[1] == Keyword("id", Slot.ATTRIBUTE, "href")
    rendered = template.render({"id": 'javascript:1"x'}, fill=html_value)
    assert rendered == '<a href="https://x.sg/?id=javascript:1&quot;x" rel="noopener noreferrer">Go</a>'


def test_render_html_second_keyword_in_href_cannot_supply_a_scheme() -> None:
    template = compile_email_body('<a href="{{ base_url }}{{ path }}">Go</a>')

    rendered = template.render({"base_url": "", "path": "javascript:alert(1)"}, fill=html_value)

    assert rendered == '<a href="javascript%3Aalert(1)" rel="noopener noreferrer">Go</a>'


def test_render_html_keyword_inside_link_text_is_not_linked_again() -> None:
    template = compile_email_body('<a href="{{ form_link }}">{{ form_link }}</a>')

    rendered = template.render({"form_link": "https://f.sg"}, fill=html_value)

    assert rendered == '<a href="https://f.sg" rel="noopener noreferrer">https://f.sg</a>'


def test_render_html_image_keyword_requires_https() -> None:
    template = compile_email_body('<img src="{{ photo_url }}" alt="{{ name }}">')

    assert template.render({"photo_url": "https://c.sg/a.png", "name": 'A "B"'}, fill=html_value) == (
        '<img src="https://c.sg/a.png" alt="A &quot;B&quot;">'
    )
    assert template.render({"photo_url": "http://c.sg/a.png", "name": "A"}, fill=html_value) == (
        '<img src="" alt="A">'
    )


# Schemes smuggled past a keyword that starts a link


@pytest.mark.parametrize(
    ("body", "is_markdown", "line", "column"),
    [
        ('<p>Hi</p>\n<a href="{{x}}javascript:alert(1)">Open</a>', False, 2, 10),
        ('<a href="{{ x }}java{{y}}script&#58;alert(1)">Open</a>', False, 1, 10),
        ('<img src="{{pic}}data:image/png;base64,AAAA">', False, 1, 11),
        ("Hello\n\n[Open]({{x}}vbscript:msgbox(1))", True, 3, 8),
    ],
)
def test_check_link_schemes_refuses_text_with_a_colon_after_a_link_keyword(
    body: str, is_markdown: bool, line: int, column: int
) -> None:
    with pytest.raises(TemplateError) as caught:
        check_link_schemes(body, is_markdown=is_markdown)

    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert problem.message == (
        f'Keyword "{problem.token}" at line {line}, column {column} starts a link, so the text '
        'after it in that link cannot contain ":". Put the whole address in the keyword\'s column, or '
        "write the start of the link (such as https://) before the keyword."
    )


@pytest.mark.parametrize(
    "body",
    [
        '<a href="{{ form_link }}">Open</a>',
        '<a href="{{ base_url }}/forms/{{ id }}?lang=en">Open</a>',
        '<a href="https://x.sg/{{ path }}?t=10:30">Open</a>',
        '<p>Time: 10:30, {{ name }}</p><a href="{{ link }}">Open</a> <img src="{{ pic }}" alt="a:b">',
    ],
)
def test_check_link_schemes_accepts_ordinary_links(body: str) -> None:
    check_link_schemes(body, is_markdown=False)


def test_saving_a_template_that_smuggles_a_scheme_is_refused(officer: Any) -> None:
    campaign = services.create_campaign(owner=officer, name="Links", channel="email")

    with pytest.raises(TemplateError) as caught:
        email_services.save_email_template(
            campaign=campaign,
            subject="Hi",
            body='<a href="{{x}}javascript:alert(1)">Open</a>',
            body_format="rich",
            sender_name="",
            reply_to="a@agency.gov.sg",
        )

    assert "starts a link" in caught.value.problems[0].message
    campaign.refresh_from_db()
    assert (campaign.body, campaign.template_version) == ("", 0)


def test_a_template_saved_before_the_check_renders_no_scheme_from_its_own_text() -> None:
    template = compile_email_body(sanitize_email_html('<a href="{{x}}javascript:alert(1)">Open</a>'))

    rendered = template.render({"x": ""}, fill=html_value)

    assert rendered == '<a href="javascript%3Aalert(1)" rel="noopener noreferrer">Open</a>'


_PIECES = st.sampled_from(
    [
        *("javascript", "java\tscript", "JaVaScRiPt", "data", "vbscript", ":", "&#58;", "&colon;", "&#x3a;"),
        *("alert(1)", "/", "//evil.example", " ", "\n", "%3A", "https://x.sg/", "?q=", "mailto:", "#"),
    ]
)
_VALUES = st.sampled_from(
    [
        *("", " ", "javascript:alert(1)", "java\tscript:alert(1)", " javascript:x", "data:text/html,x"),
        *(
            "vbscript:x",
            "https://x.sg/a",
            "mailto:a@x.sg",
            ":",
            "javascript",
            "&#58;",
            '"',
            "https://x.sg/?a=1:2",
        ),
    ]
)
_KEYWORDS = ("a", "b", "c")
_DANGEROUS = {"javascript", "data", "vbscript"}


def _url_schemes(html: str) -> list[str]:
    """The scheme a browser reads in every href and src: entities decoded, leading spaces and
    controls stripped, tabs and newlines inside removed (WHATWG URL parsing)."""

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.schemes: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name in ("href", "src"):
                    url = re.sub(r"[\t\n\r]", "", (value or "").strip("".join(map(chr, range(33)))))
                    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
                    self.schemes.append(match[1].lower() if match else "")

    links = Links()
    links.feed(html)
    return links.schemes


@given(
    attribute=st.sampled_from(['<a href="', '<img alt="x" src="']),
    parts=st.lists(st.one_of(st.sampled_from(_KEYWORDS), _PIECES), min_size=1, max_size=6),
    values=st.fixed_dictionaries({name: _VALUES for name in _KEYWORDS}),
    checked=st.booleans(),
)
@hypothesis_settings(max_examples=400, deadline=None)
def test_no_rendered_email_carries_a_dangerous_url_whatever_the_values(
    attribute: str, parts: list[str], values: dict[str, str], checked: bool
) -> None:
    inside = "".join("{{" + part + "}}" if part in _KEYWORDS else part for part in parts)
    body = f'<p>Dear {{{{a}}}},</p>{attribute}{inside}">Open</a> <a href="{{{{b_link}}}}">{{{{c_url}}}}</a>'
    if checked:  # as saved today: refused templates never reach sending
        try:
            check_link_schemes(body, is_markdown=False)
        except TemplateError:
            return
    template = compile_email_body(sanitize_email_html(body))

    rendered = template.render({**values, "b_link": values["b"], "c_url": values["c"]}, fill=html_value)

    assert not _DANGEROUS & set(_url_schemes(rendered)), rendered


# Sanitising


def test_sanitize_email_html_strips_script_and_its_content() -> None:
    assert sanitize_email_html("<p>Hi</p><script>alert(1)</script>") == "<p>Hi</p>"


def test_sanitize_email_html_strips_event_handlers_and_style() -> None:
    html = '<p style="color:red" onclick="x()">Hi<img src="https://c.sg/a.png" onerror="alert(1)"></p>'

    assert sanitize_email_html(html) == '<p>Hi<img src="https://c.sg/a.png"></p>'


def test_sanitize_email_html_strips_javascript_href() -> None:
    html = '<a href="javascript:alert(1)">x</a><a href="JAVASCRIPT:alert(1)">y</a>'

    assert sanitize_email_html(html) == '<a rel="noopener noreferrer">x</a><a rel="noopener noreferrer">y</a>'


def test_sanitize_email_html_strips_http_image_and_iframe() -> None:
    html = '<img src="http://c.sg/a.png" alt="a"><iframe src="https://evil.sg"></iframe><style>p{}</style>'

    assert sanitize_email_html(html) == '<img alt="a">'


def test_sanitize_email_html_keeps_tables_https_images_and_links() -> None:
    html = (
        '<table><thead><tr><th colspan="2">Slots</th></tr></thead><tbody><tr><td>Mon</td><td>9am</td></tr>'
        '</tbody></table><img src="https://c.sg/a.png" alt="logo" width="80" height="20">'
        '<a href="mailto:help@x.sg">help</a><blockquote>q</blockquote><hr>'
    )

    assert sanitize_email_html(html) == (
        '<table><thead><tr><th colspan="2">Slots</th></tr></thead><tbody><tr><td>Mon</td><td>9am</td></tr>'
        '</tbody></table><img src="https://c.sg/a.png" alt="logo" width="80" height="20">'
        '<a href="mailto:help@x.sg" rel="noopener noreferrer">help</a><blockquote>q</blockquote><hr>'
    )


def test_sanitize_email_html_keeps_keywords_including_in_href() -> None:
    html = '<p>Hi {{ Name }}</p><a href="{{ form_link }}">Form</a><img src="{{ photo_url }}">'

    assert sanitize_email_html(html) == (
        '<p>Hi {{ Name }}</p><a href="{{ form_link }}" rel="noopener noreferrer">Form</a>'
        '<img src="{{ photo_url }}">'
    )


def test_compile_email_body_sanitises_once_and_keeps_keyword_in_href() -> None:
    template = compile_email_body(
        '<p onclick="x">Hi {{ Name }}</p><a href="{{ form_link }}">Form</a><script>x</script>'
    )

    assert template.parts == (
        "<p>Hi ",
        Keyword("name"),
        '</p><a href="',
        Keyword("form_link", Slot.URL, "href"),
        '" rel="noopener noreferrer">Form</a>',
    )
    assert template.keywords == frozenset({"name", "form_link"})


def test_compile_email_body_reports_positions_in_the_officers_html() -> None:
    problem = only_problem_of_body('<p>Hi</p>\n<a href="{{ form-link }}">x</a>')

    assert (problem.token, problem.line, problem.column) == ("{{ form-link }}", 2, 10)


def test_compile_email_body_keyword_only_in_stripped_markup_is_not_required() -> None:
    template = compile_email_body('<p onclick="{{ handler }}">Hi</p><script>{{ secret }}</script>')

    assert template.keywords == frozenset()


# Markdown and plain text


def test_markdown_to_html_converts_and_keeps_keywords() -> None:
    text = "# Hello {{ first_name }}\n\nOpen [the form]({{ form_link }}) **now**.\n\n* one\n* two"

    assert markdown_to_html(text) == (
        "<h1>Hello {{ first_name }}</h1>\n"
        '<p>Open <a href="{{ form_link }}" rel="noopener noreferrer">the form</a> <strong>now</strong>.</p>\n'
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )


def test_markdown_to_html_sanitises_raw_html() -> None:
    assert markdown_to_html('Hi <img src="x" onerror="alert(1)"> [x](javascript:alert(1))') == (
        '<p>Hi <img> <a rel="noopener noreferrer">x</a></p>'
    )


def test_markdown_to_html_underscored_keywords_are_not_emphasised() -> None:
    template = compile_email_body(markdown_to_html("{{ a_b }}_c_ {{ d_e }}"))

    assert template.keywords == frozenset({"a_b", "d_e"})


def test_html_to_text_keeps_paragraphs_breaks_and_lists() -> None:
    html = (
        "<h1>Title</h1><p>Hello <b>Ann</b>,<br>second line</p>"
        "<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul><p>a &amp; b</p>"
    )

    assert html_to_text(html) == "Title\n\nHello Ann,\nsecond line\n\n- one\n- two\n  1. a\n  2. b\n\na & b"


def test_html_to_text_shows_links_as_text_and_url() -> None:
    html = (
        '<p>Go <a href="https://x.sg/f">to the form</a>, <a href="https://y.sg">https://y.sg</a>'
        ' or <a href="mailto:help@x.sg">help@x.sg</a>.</p>'
    )

    assert html_to_text(html) == "Go to the form (https://x.sg/f), https://y.sg or help@x.sg."


def test_html_to_text_collapses_html_whitespace_and_tables() -> None:
    html = (
        "<p>  lots\n   of   space </p><hr>"
        "<table><tr><td>Mon</td><td>9am</td></tr><tr><td>Tue</td></tr></table>"
    )

    assert html_to_text(html) == "lots of space\n\n---\n\nMon 9am\nTue"


def test_html_to_text_of_rendered_body_matches_html_version() -> None:
    template = compile_email_body('<p>Hi {{ name }},</p><p><a href="{{ form_link }}">Confirm</a></p>')

    rendered = template.render({"name": "Ann <A>", "form_link": "https://f.sg/1"}, fill=html_value)

    assert html_to_text(rendered) == "Hi Ann <A>,\n\nConfirm (https://f.sg/1)"


def test_plain_text_of_a_list_the_editor_wrote_keeps_each_marker_beside_its_text() -> None:
    # The rich-text editor wraps each list item's text in <p>.
    html = (
        "<p>Bring:</p><ul><li><p>your IC</p></li><li><p>this letter</p></li></ul>"
        "<ol><li><p>first</p></li></ol>"
    )

    assert html_to_text(html) == "Bring:\n\n- your IC\n- this letter\n\n1. first"
