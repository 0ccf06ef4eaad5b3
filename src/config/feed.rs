//! Validation of one feed file: its keys, its sources (selectors, paging, detail pages, dates,
//! encoding) and its filter. Place in the flow: feed file text → raw → validate (this file, for
//! each `RawFeed`, falling back to the settings' `[defaults]`) → `Config::feeds`.

use std::time::Duration;

use crate::zone::Tz;
use regex::Regex;
use toml::Spanned;

use super::check::Ctx;
use super::raw::{RawFeed, RawFilter, RawPatterns, RawSource, Rules as RawRules, SourceKind, Str};
use super::settings::Defaults;
use super::{
    AutoFields, FeedSource, FeedSpec, FieldRules, Filter, Paging, Patterns, Schedule, ScrapeSpec,
    SourceSpec,
};
use crate::model::FeedId;

const DEFAULT_SCHEDULE: &str = "*/30 * * * *";
const DEFAULT_MAX_ITEMS: usize = 200;
/// Items a feed keeps in the store by default (raised to `max_items` when that is larger).
const DEFAULT_KEEP: usize = 5000;
/// The most a feed's runs are shifted from their cron times by default.
const DEFAULT_JITTER: Duration = Duration::from_secs(300);

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn feed(&mut self, defaults: &Defaults) -> Option<FeedSpec> {
        let path = self.file.path;
        let id = self.feed_id();
        let raw: RawFeed = self.parse()?;
        if raw.source.is_empty() {
            let span = raw.title.as_ref().map_or(0..0, |t| t.span());
            self.err(
                span,
                "source",
                "the feed has no source",
                "add a [[source]] table with kind = \"scrape\", url and items",
            );
        }
        let sources: Vec<SourceSpec> = raw
            .source
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.source(s, i))
            .collect();
        let timing = self.timing(&raw, defaults);
        let link = raw.link.as_ref().and_then(|s| self.url(s, "link"));
        let filter = raw
            .filter
            .as_ref()
            .map(|f| self.filter(f))
            .unwrap_or_default();
        let (id, first) = (id?, sources.first()?.url().clone());
        let timing = timing?;
        let title = raw.title.map_or_else(|| id.to_string(), |t| t.into_inner());
        Some(FeedSpec {
            path: path.to_path_buf(),
            description: raw
                .description
                .map_or_else(|| title.clone(), |d| d.into_inner()),
            title,
            link: link.unwrap_or(first),
            language: raw
                .language
                .map(|l| l.into_inner())
                .or_else(|| defaults.language.clone()),
            schedule: timing.schedule,
            timezone: timing.timezone,
            max_items: timing.max_items,
            keep: timing.keep,
            jitter: timing.jitter,
            notify_on_first_run: raw
                .notify_on_first_run
                .or(defaults.notify_on_first_run)
                .unwrap_or(false),
            sources,
            filter,
            id,
        })
    }

    /// The feed's id, from its file name.
    fn feed_id(&mut self) -> Option<FeedId> {
        let stem = self
            .file
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        let id = FeedId::new(stem);
        if id.is_none() {
            self.err(0..0, "(file name)", format!("`{stem}` is not a feed id"), "rename the file: a feed id is lower-case letters, digits and '-', starting with a letter or digit (e.g. feeds/city-news.toml)");
        }
        id
    }

    /// When the feed runs and how many items it publishes and keeps: each key the feed's own, else
    /// `[defaults]`, else the built-in default. A wrong value is reported; a stand-in keeps the feed, so webhooks naming it are not reported too.
    fn timing(&mut self, raw: &RawFeed, defaults: &Defaults) -> Option<Timing> {
        let schedule = raw
            .schedule
            .as_ref()
            .map_or(defaults.schedule.clone(), |s| self.schedule(s, "schedule"));
        let timezone = raw
            .timezone
            .as_ref()
            .map_or(defaults.timezone, |s| self.timezone(s, "timezone"));
        let max_items = raw
            .max_items
            .as_ref()
            .map_or(defaults.max_items, |v| self.positive(v, "max_items"));
        let keep = self.keep(raw.keep.as_ref(), max_items);
        let jitter = raw
            .jitter
            .as_ref()
            .and_then(|s| self.duration(s, "jitter"))
            .or(defaults.jitter)
            .unwrap_or(DEFAULT_JITTER);
        Some(Timing {
            schedule: schedule.or_else(|| Schedule::parse(DEFAULT_SCHEDULE).ok())?,
            timezone: timezone.unwrap_or(Tz::utc()),
            max_items: max_items.unwrap_or(DEFAULT_MAX_ITEMS),
            keep: keep
                .unwrap_or(DEFAULT_KEEP)
                .max(max_items.unwrap_or(DEFAULT_MAX_ITEMS)),
            jitter,
        })
    }

    /// `keep`, which may not be less than `max_items` (when both are valid).
    fn keep(&mut self, raw: Option<&Spanned<i64>>, max_items: Option<usize>) -> Option<usize> {
        let keep = match raw {
            Some(v) => self.positive(v, "keep"),
            None => Some(DEFAULT_KEEP),
        };
        if let (Some(k), Some(m), Some(v)) = (keep, max_items, raw)
            && k < m
        {
            self.err(
                v.span(),
                "keep",
                format!("keep = {k} is less than max_items = {m}"),
                "keep at least as many items as the feed publishes, or lower max_items",
            );
        }
        keep
    }

    pub(super) fn source(&mut self, raw: &RawSource, i: usize) -> Option<SourceSpec> {
        match raw.kind.get_ref() {
            SourceKind::Scrape => self.scrape_source(raw, i),
            SourceKind::Feed => self.feed_source(raw, i),
        }
    }

    /// `kind = "feed"`: a URL, and an `encoding` for feeds that misdeclare theirs. Keys that only
    /// mean something to a scraper are errors rather than silently ignored.
    fn feed_source(&mut self, raw: &RawSource, i: usize) -> Option<SourceSpec> {
        let key = |k: &str| format!("source[{i}].{k}");
        let url = self.url(&raw.url, &key("url"));
        let encoding = raw
            .encoding
            .as_ref()
            .and_then(|e| self.encoding(e, &key("encoding")));
        let full_text = raw.full_text.as_ref().is_some_and(|f| *f.get_ref());
        for (name, present) in scrape_only_keys(raw) {
            if present {
                self.err(
                    raw.kind.span(),
                    &key(name),
                    format!("`{name}` belongs to scrape sources, not to kind = \"feed\""),
                    "a feed source reads RSS, Atom or JSON Feed as it is: remove the key, or use kind = \"scrape\" to select from HTML",
                );
            }
        }
        Some(SourceSpec::Feed(FeedSource {
            url: url?,
            encoding,
            full_text,
        }))
    }

    fn scrape_source(&mut self, raw: &RawSource, i: usize) -> Option<SourceSpec> {
        let key = |k: &str| format!("source[{i}].{k}");
        let url = self.url(&raw.url, &key("url"));
        let Some(items_raw) = raw.items.as_ref() else {
            self.err(
                raw.url.span(),
                &key("items"),
                "a scrape source needs `items`",
                "add items = \"CSS selector of one item\", e.g. \"div.catItemView\" or \"article\"",
            );
            return None;
        };
        let items = self.rule(items_raw, &key("items"));
        // Every value is checked before giving up on the source, so all their errors are reported.
        let fields = self.fields(
            [
                &raw.title,
                &raw.date,
                &raw.summary,
                &raw.content,
                &raw.author,
                &raw.image,
            ],
            &key(""),
            false,
        );
        let link = self.rules(raw.link.as_ref(), &key("link"));
        let detail = raw.detail.as_ref().map(|d| {
            self.fields(
                [
                    &d.title, &d.date, &d.summary, &d.content, &d.author, &d.image,
                ],
                &key("detail."),
                true,
            )
        });
        self.selects_enough(raw, items_raw, &key);
        let date_formats = self.date_formats(raw.date_format.as_ref(), &key("date_format"));
        let encoding = raw
            .encoding
            .as_ref()
            .and_then(|e| self.encoding(e, &key("encoding")));
        let paging = self.paging(raw, &key(""));
        let max_pages = self.max_pages(raw.max_pages.as_ref(), paging.as_ref(), &key("max_pages"));
        let max_items = self.max_items_per_page(raw, &key("max_items_per_page"));
        Some(SourceSpec::Scrape(Box::new(ScrapeSpec {
            url: url?,
            items: items?,
            fields,
            link,
            date_formats,
            encoding,
            paging: paging?,
            max_pages: max_pages?,
            max_items_per_page: max_items?,
            detail,
        })))
    }

    /// A scrape source selects something within each item, has links when it reads detail
    /// pages, and no `full_text` (a feed source's key); `key` makes a key of this source's table.
    fn selects_enough(&mut self, raw: &RawSource, items: &Str, key: &dyn Fn(&str) -> String) {
        if raw.title.is_none()
            && raw.link.is_none()
            && raw.summary.is_none()
            && raw.content.is_none()
        {
            self.err(
                items.span(),
                &key("items"),
                "the source selects items but nothing within them",
                "add at least one of title, link or summary selectors",
            );
        }
        if let Some(f) = &raw.full_text {
            self.err(
                f.span(),
                &key("full_text"),
                "`full_text` belongs to kind = \"feed\" sources",
                "a scrape source reads each item's page through [source.detail]: write content = \"auto\" there",
            );
        }
        if raw.detail.is_some() && raw.link.is_none() {
            let span = raw.url.span();
            self.err(
                span,
                &key("detail"),
                "detail pages need the items' links",
                "add link = \"a @href\"",
            );
        }
    }

    /// `max_items_per_page`, by default `extract::bounds::MAX_ITEMS_PER_PAGE`.
    fn max_items_per_page(&mut self, raw: &RawSource, key: &str) -> Option<usize> {
        let default = Some(crate::extract::bounds::MAX_ITEMS_PER_PAGE);
        let given = raw.max_items_per_page.as_ref();
        given.map_or(default, |v| self.positive(v, key))
    }

    /// `max_pages`, by default 1 for a single page and 2 when the source pages.
    fn max_pages(
        &mut self,
        raw: Option<&Spanned<i64>>,
        paging: Option<&Paging>,
        key: &str,
    ) -> Option<usize> {
        match raw {
            Some(v) => self.positive(v, key),
            None if matches!(paging, Some(Paging::Single)) => Some(1),
            None => Some(2),
        }
    }

    /// A listing's or (with `detail`) a detail page's field selectors; `"auto"` is understood on
    /// detail pages for title, date, author and content.
    pub(super) fn fields(
        &mut self,
        raw: [&Option<RawRules>; 6],
        prefix: &str,
        detail: bool,
    ) -> FieldRules {
        let names = ["title", "date", "summary", "content", "author", "image"];
        let mut auto = [false; 6];
        let [title, date, summary, content, author, image] = std::array::from_fn(|i| {
            let key = format!("{prefix}{}", names[i]);
            let (rules, is_auto) = self.field_rules(raw[i].as_ref(), &key, names[i], detail);
            auto[i] = is_auto;
            rules
        });
        FieldRules {
            title,
            date,
            summary,
            content,
            author,
            image,
            auto: AutoFields {
                title: auto[0],
                date: auto[1],
                content: auto[3],
                author: auto[4],
            },
        }
    }

    pub(super) fn date_formats(&mut self, raw: Option<&RawRules>, key: &str) -> Vec<String> {
        let list = raw.map(super::raw::rule_list).unwrap_or_default();
        let mut out = Vec::new();
        for f in list {
            use chrono::format::{Item, StrftimeItems};
            if StrftimeItems::new(f.get_ref()).any(|i| matches!(i, Item::Error))
                || !f.get_ref().contains('%')
            {
                let msg = format!("`{}` is not a date format", f.get_ref());
                self.err(
                    f.span(),
                    key,
                    msg,
                    "use chrono's strftime syntax, e.g. \"%d.%m.%Y %H:%M\"",
                );
            } else {
                out.push(f.into_inner());
            }
        }
        out
    }

    pub(super) fn encoding(
        &mut self,
        s: &Str,
        key: &str,
    ) -> Option<&'static encoding_rs::Encoding> {
        let found = encoding_rs::Encoding::for_label(s.get_ref().trim().as_bytes());
        if found.is_none() {
            let msg = format!("`{}` is not a known character encoding", s.get_ref());
            self.err(
                s.span(),
                key,
                msg,
                "use a WHATWG label such as \"windows-1251\", \"koi8-r\" or \"iso-8859-2\"",
            );
        }
        found
    }

    pub(super) fn paging(&mut self, raw: &RawSource, prefix: &str) -> Option<Paging> {
        let key = |k: &str| format!("{prefix}{k}");
        match (&raw.next_page, &raw.page_url) {
            (Some(_), Some(t)) => {
                let hint = "keep next_page (follow a link) or page_url (a URL template), not both";
                self.err(
                    t.span(),
                    &key("page_url"),
                    "both `next_page` and `page_url` are set",
                    hint,
                );
                None
            }
            (Some(r), None) => Some(Paging::NextPage(self.rules(Some(r), &key("next_page")))),
            (None, Some(t)) => self.template(t, raw.page_size.as_ref(), &key("page_url")),
            (None, None) => Some(Paging::Single),
        }
    }

    pub(super) fn template(
        &mut self,
        t: &Str,
        size: Option<&Spanned<i64>>,
        key: &str,
    ) -> Option<Paging> {
        let text = t.get_ref();
        if !text.contains("{n}") && !text.contains("{offset}") {
            let hint = "write the page number as {n} (\"/page/{n}\") or the item offset as {offset} (\"?start={offset}\")";
            self.err(
                t.span(),
                key,
                format!("`{text}` has neither {{n}} nor {{offset}}"),
                hint,
            );
            return None;
        }
        let page_size = match size {
            Some(v) => self.positive(v, "page_size")?,
            None if text.contains("{offset}") => {
                let hint = "add page_size = N, the number of items on one listing page";
                self.err(t.span(), key, "`{offset}` needs `page_size`", hint);
                return None;
            }
            None => 1,
        };
        Some(Paging::Template {
            template: text.clone(),
            page_size,
        })
    }

    pub(super) fn filter(&mut self, raw: &RawFilter) -> Filter {
        let mut field = |p: Option<&RawPatterns>, name: &str| match p {
            Some(p) => self.patterns(&p.include, &p.exclude, &format!("filter.{name}.")),
            None => Patterns::default(),
        };
        let title = field(raw.title.as_ref(), "title");
        let content = field(raw.content.as_ref(), "content");
        let author = field(raw.author.as_ref(), "author");
        let category = field(raw.category.as_ref(), "category");
        Filter {
            any: self.patterns(&raw.include, &raw.exclude, "filter."),
            title,
            content,
            author,
            category,
            max_age: raw
                .max_age
                .as_ref()
                .and_then(|s| self.duration(s, "filter.max_age")),
        }
    }

    fn patterns(&mut self, include: &[Str], exclude: &[Str], prefix: &str) -> Patterns {
        let mut list = |v: &[Str], name: &str| -> Vec<Regex> {
            v.iter()
                .enumerate()
                .filter_map(|(i, s)| self.regex(s, &format!("{prefix}{name}[{i}]")))
                .collect()
        };
        Patterns {
            include: list(include, "include"),
            exclude: list(exclude, "exclude"),
        }
    }
}

/// A feed's timing and size keys, resolved against `[defaults]` and the built-in defaults.
struct Timing {
    schedule: Schedule,
    timezone: Tz,
    max_items: usize,
    keep: usize,
    jitter: Duration,
}

/// The keys of `[[source]]` that only a scrape source reads, and whether each is set.
fn scrape_only_keys(raw: &RawSource) -> [(&'static str, bool); 15] {
    [
        ("items", raw.items.is_some()),
        ("title", raw.title.is_some()),
        ("link", raw.link.is_some()),
        ("date", raw.date.is_some()),
        ("summary", raw.summary.is_some()),
        ("content", raw.content.is_some()),
        ("author", raw.author.is_some()),
        ("image", raw.image.is_some()),
        ("date_format", raw.date_format.is_some()),
        ("next_page", raw.next_page.is_some()),
        ("page_url", raw.page_url.is_some()),
        ("page_size", raw.page_size.is_some()),
        ("max_pages", raw.max_pages.is_some()),
        ("max_items_per_page", raw.max_items_per_page.is_some()),
        ("detail", raw.detail.is_some()),
    ]
}
