"""User Markdown becomes safe HTML: formatting kept, scripts and dangerous links dropped."""

from lms.markup import plain_text, render_markdown


def test_formatting_and_code_highlighting_survive() -> None:
    html = str(
        render_markdown("## Loops\n\n**Bold** text\n\n```python\nfor i in range(3): pass\n```")
    )
    assert "<h2>Loops</h2>" in html and "<strong>Bold</strong>" in html
    assert 'class="highlight"' in html and '<span class="k">for</span>' in html


def test_scripts_handlers_and_javascript_links_are_removed() -> None:
    html = str(
        render_markdown(
            '<script>alert(1)</script><img src="x.png" onerror="alert(2)">'
            "[click](javascript:alert(3)) <iframe src='https://evil.example'></iframe>"
        )
    )
    assert "<script" not in html and "onerror" not in html
    assert "javascript:" not in html and "<iframe" not in html
    assert '<img src="x.png">' in html


def test_links_get_nofollow_and_plain_text_is_cut_on_a_word() -> None:
    assert 'rel="noopener noreferrer nofollow"' in str(render_markdown("[a](https://a.example)"))
    assert plain_text("Tom &amp; **Jerry** chase each other", 15) == "Tom & Jerry…"
    assert plain_text(None) == "" and str(render_markdown("")) == ""
