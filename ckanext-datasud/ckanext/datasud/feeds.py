"""The Atom feeds (/feeds/dataset.atom, /feeds/organization/<id>.atom…) in the page's
language.

CKAN's feeds blueprint (ckan/views/feed.py) writes every feed with ``xml:lang="en"``
(``language=u'en'`` is hard-coded there, marked as left to do) and an English
subtitle. Its extension point, ``IFeed.get_feed_class``, gives the class that builds the
feed: ours is CKAN's own, told the request's language (``fr`` on the French site,
``en`` under /en/) and with the titles and subtitles CKAN writes in English said in that
language.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.views.feed import CKANFeed

__all__ = ["DataSudFeed", "feed_language", "translated_description", "translated_title"]

# The titles CKAN's feed views write (ckan/views/feed.py), in English only.
_TITLES = (
    (re.compile(r'^(?P<site>.+?) - Tag: "(?P<name>.*)"$', re.S), "{site} - tag « {name} »"),
    (re.compile(r'^(?P<site>.+?) - Organization: "(?P<name>.*)"$', re.S), "{site} - organisation « {name} »"),
    (re.compile(r'^(?P<site>.+?) - Group: "(?P<name>.*)"$', re.S), "{site} - group « {name} »"),
)

# The descriptions CKAN's feed views write (ckan/views/feed.py), in English only.
_DESCRIPTIONS = (
    (re.compile(r'^Recently created or updated datasets on (?P<site>.+?) by tag: "(?P<name>.*)"$', re.S),
     "Recently created or updated datasets on {site} with the tag « {name} »"),
    (re.compile(r'^Recently created or updated datasets on (?P<site>.+?) by organization: "(?P<name>.*)"$', re.S),
     "Recently created or updated datasets on {site} by the organisation « {name} »"),
    (re.compile(r'^Recently created or updated datasets on (?P<site>.+?) by group: "(?P<name>.*)"$', re.S),
     "Recently created or updated datasets on {site} in the group « {name} »"),
    (re.compile(r'^Recently created or updated datasets on (?P<site>.+?)\.?$', re.S),
     "Recently created or updated datasets on {site}"),
)


def feed_language() -> str:
    """The language of the page the feed is asked in (CKAN's default locale when there
    is no request)."""
    try:
        return tk.h.lang() or tk.config.get("ckan.locale_default") or "fr"
    except RuntimeError:  # outside a request
        return tk.config.get("ckan.locale_default") or "fr"


def _translated(text: str, patterns) -> str:
    for pattern, msgid in patterns:
        match = pattern.match(text or "")
        if match:
            return tk._(msgid).format(**match.groupdict())
    return text


def translated_description(description: str) -> str:
    """CKAN's English feed subtitle said in the page's language (unknown ones as given)."""
    return _translated(description, _DESCRIPTIONS)


def translated_title(title: str) -> str:
    """CKAN's English feed title said in the page's language (unknown ones as given)."""
    return _translated(title, _TITLES)


class DataSudFeed(CKANFeed):
    """CKAN's feed, in the page's language."""

    def __init__(self, feed_title: str, feed_link: str, feed_description: str, language: Optional[str],
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(translated_title(feed_title), feed_link, translated_description(feed_description), feed_language(),
                         *args, **kwargs)
