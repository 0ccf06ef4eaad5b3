//! The one way to read a source, whoever asks: a scheduled run, a backfill or a preview. Each page
//! read (a feed document is one page) comes out with its items stamped with the source's place
//! in the feed; the caller decides what to keep and whether to commit.

use url::Url;

use super::feed;
use super::scrape::{Crawl, Walk};
use super::{PageDone, SourceCx, SourceError, SourceOutput};
use crate::config::SourceSpec;

/// Who reads, and so how far and how.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A scheduled run: stored validators are sent (a 304 reads nothing), and the walk stops at
    /// the first page that holds a stored item.
    Scheduled,
    /// A backfill from this page (URL and number), at most `max_pages` pages, every page in full.
    Backfill {
        start: (Url, usize),
        max_pages: usize,
    },
    /// A preview: every page up to `max_pages`, in full, as a first run would.
    Preview,
}

impl SourceSpec {
    /// Reads the source in `mode`, handing each page to `on_page` in order. `Ok(true)` when the
    /// walk reached the source's end (a feed document always does).
    pub async fn poll(
        &self,
        cx: &SourceCx<'_>,
        mode: Mode,
        mut on_page: impl FnMut(PageDone) -> Result<(), SourceError>,
    ) -> Result<bool, SourceError> {
        let place = u16::try_from(cx.index).unwrap_or(u16::MAX);
        let mut stamped = |mut page: PageDone| {
            for item in &mut page.items {
                item.source = place;
            }
            on_page(page)
        };
        match self {
            SourceSpec::Feed(spec) => {
                let conditional = matches!(mode, Mode::Scheduled);
                let page = feed::read(spec, cx, conditional).await?;
                stamped(page)?;
                Ok(true)
            }
            SourceSpec::Scrape(spec) => {
                let walk = match mode {
                    Mode::Scheduled => Walk {
                        start: (spec.url.clone(), 1),
                        max_pages: spec.max_pages,
                        stop_at_known: true,
                        conditional: true,
                    },
                    Mode::Backfill { start, max_pages } => Walk {
                        start,
                        max_pages,
                        stop_at_known: false,
                        conditional: false,
                    },
                    Mode::Preview => Walk {
                        start: (spec.url.clone(), 1),
                        max_pages: spec.max_pages,
                        stop_at_known: false,
                        conditional: false,
                    },
                };
                Crawl::new(spec, cx).walk(&walk, stamped).await
            }
        }
    }

    /// Reads the source in `mode` and gathers its pages into one output.
    pub async fn read_all(
        &self,
        cx: &SourceCx<'_>,
        mode: Mode,
    ) -> Result<SourceOutput, SourceError> {
        let mut out = SourceOutput::default();
        self.poll(cx, mode, |page| {
            out.add(page);
            Ok(())
        })
        .await?;
        Ok(out)
    }
}
