"""Page numbers: the links a long list shows, with gaps where pages are left out."""

from lms.pagination import Page, page_number


def test_links_show_edges_and_the_pages_around_the_current_one() -> None:
    page = Page(items=[], page=10, per_page=10, total=200)
    assert page.pages == 20
    assert list(page.iter_pages()) == [1, 2, None, 8, 9, 10, 11, 12, 13, None, 19, 20]
    assert (page.prev_num, page.next_num) == (9, 11)


def test_first_and_last_pages_and_an_empty_list() -> None:
    assert Page([1], page=1, per_page=10, total=1).has_prev is False
    last = Page([1], page=3, per_page=10, total=30)
    assert last.has_next is False and last.next_num is None
    empty = Page([], page=1, per_page=10, total=0)
    assert empty.pages == 0 and list(empty.iter_pages()) == []


def test_bad_page_numbers_fall_back_to_the_first_page() -> None:
    assert [page_number(v) for v in ("3", "0", "-1", "x", None, "999999999")] == [3, 1, 1, 1, 1, 1]
