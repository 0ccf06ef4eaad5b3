//! Validation of `[[webhook]]` tables: the URL or URL file, the secret, the feeds it takes, its
//! batching and template, and that names are unique. Place in the flow: settings text → raw →
//! validate (this file, after the feeds, whose ids webhooks name) → `Config::webhooks`.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::check::Ctx;
use super::env;
use super::raw::{RawWebhook, Str};
use super::{FeedSpec, Webhook};
use crate::model::FeedId;

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn webhook(&mut self, raw: &RawWebhook, feeds: &[FeedSpec]) -> Option<Webhook> {
        let name = raw.name.get_ref().clone();
        let key = |k: &str| format!("webhook.{name}.{k}");
        let url = self.webhook_url(raw, &key);
        let secret = self.webhook_secret(raw, &key);
        let feed_ids = raw
            .feeds
            .as_ref()
            .map(|list| self.webhook_feeds(list, feeds, &key("feeds")));
        let batch_over = raw
            .batch_over
            .as_ref()
            .map_or(Some(5), |v| self.positive(v, &key("batch_over")));
        let max_age = raw
            .max_age
            .as_ref()
            .map_or(Some(Duration::from_secs(24 * 3600)), |s| {
                self.duration(s, &key("max_age"))
            });
        let template = raw
            .template
            .as_ref()
            .and_then(|t| self.webhook_template(t, &key("template")));
        Some(Webhook {
            name,
            kind: *raw.kind.get_ref(),
            url: url?,
            secret,
            feeds: feed_ids,
            batch_over: batch_over?,
            max_age: max_age?,
            template,
            alerts: raw.alerts.unwrap_or(false),
        })
    }

    /// Exactly one of `url` and `url_file`; `key` makes a key of this webhook's table.
    fn webhook_url(&mut self, raw: &RawWebhook, key: &dyn Fn(&str) -> String) -> Option<Url> {
        match (&raw.url, &raw.url_file) {
            (Some(u), None) => self.url(u, &key("url")),
            (None, Some(f)) => self.secret_file(f, &key("url_file")).and_then(|text| {
                let shown = format!("the content of {}", f.get_ref());
                self.parse_url(&text, &shown, f.span(), &key("url_file"))
            }),
            _ => {
                self.err(raw.name.span(), &key("url"), "a webhook needs exactly one of `url` and `url_file`", "set url = \"${MY_HOOK_URL}\" or url_file = \"/run/credentials/feedwright.service/hook\"");
                None
            }
        }
    }

    /// At most one of `secret` and `secret_file`; neither is no secret.
    fn webhook_secret(&mut self, raw: &RawWebhook, key: &dyn Fn(&str) -> String) -> Option<String> {
        match (&raw.secret, &raw.secret_file) {
            (Some(s), None) => self.expand(s, &key("secret")),
            (None, Some(f)) => self.secret_file(f, &key("secret_file")),
            (None, None) => None,
            (Some(s), Some(_)) => {
                self.err(
                    s.span(),
                    &key("secret"),
                    "both `secret` and `secret_file` are set",
                    "keep one of them",
                );
                None
            }
        }
    }

    /// A message template that uses only the placeholders a delivery fills in.
    fn webhook_template(&mut self, t: &Str, key: &str) -> Option<String> {
        let unknown: Vec<String> = crate::model::template::placeholders(t.get_ref())
            .into_iter()
            .filter(|p| !crate::model::template::PLACEHOLDERS.contains(&p.as_str()))
            .collect();
        if unknown.is_empty() {
            Some(t.get_ref().clone())
        } else {
            self.err(
                t.span(),
                key,
                format!("unknown placeholder(s): {}", unknown.join(", ")),
                "use {feed}, {title}, {link}, {summary} and {date}",
            );
            None
        }
    }

    pub(super) fn webhook_feeds(
        &mut self,
        list: &[Str],
        feeds: &[FeedSpec],
        key: &str,
    ) -> Vec<FeedId> {
        let known: Vec<&str> = feeds.iter().map(|f| f.id.as_str()).collect();
        list.iter()
            .filter_map(|s| match feeds.iter().find(|f| f.id.as_str() == s.get_ref()) {
                Some(f) => Some(f.id.clone()),
                None => {
                    self.err(s.span(), key, format!("there is no feed `{}`", s.get_ref()), format!("a feed's id is its file name in the feeds directory; known feeds: {}", known.join(", ")));
                    None
                }
            })
            .collect()
    }

    /// Reads a `*_file` secret. A bare name (no `/`) is looked up first in systemd's
    /// `$CREDENTIALS_DIRECTORY` (`LoadCredential=NAME:…`), then beside the settings file.
    pub(super) fn secret_file(&mut self, f: &Str, key: &str) -> Option<String> {
        let name = f.get_ref();
        let credential = (self.env)("CREDENTIALS_DIRECTORY")
            .filter(|_| !name.contains('/'))
            .map(|dir| PathBuf::from(dir).join(name))
            .filter(|p| p.exists());
        let path = credential.unwrap_or_else(|| self.path(name));
        env::read_secret(&path)
            .map_err(|e| self.err(f.span(), key, e.to_string(), "make the file readable by feedwright (under systemd use LoadCredential= and %d/NAME)"))
            .ok()
    }

    pub(super) fn unique_webhook_names(&mut self, hooks: &[RawWebhook]) {
        for (i, w) in hooks.iter().enumerate() {
            if hooks[..i]
                .iter()
                .any(|o| o.name.get_ref() == w.name.get_ref())
            {
                self.err(
                    w.name.span(),
                    "webhook.name",
                    format!("webhook `{}` is defined twice", w.name.get_ref()),
                    "give each [[webhook]] its own name",
                );
            }
        }
    }
}
