//! Larger fixture sites: the K2 archive of the motivating site (26 listing pages, 306 item pages)
//! in English and, served as windows-1251 with the charset only in `<meta>`, in Russian; and a blog
//! paged by `/page/N`. Every text is generated here; each article knows its own truth.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use super::k2::{self, K2Item};
use super::server::Site;

pub const PER_PAGE: usize = 12;
pub const ARTICLES: usize = 306;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

/// One article of the archive with the truth a feed must reproduce.
#[derive(Clone, Debug)]
pub struct Article {
    pub id: u32,
    pub title: String,
    /// Wall-clock time in Almaty (UTC+6 in these years).
    pub local: NaiveDateTime,
    pub intro: String,
    pub paragraphs: Vec<String>,
    /// Whether the listing shows the heading and the date (most entries show neither).
    pub on_listing: bool,
}

impl Article {
    pub fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        (self.local - Duration::hours(6)).and_utc()
    }

    /// The full text as plain words, as the stored content reads once tags are stripped.
    pub fn full_text(&self) -> String {
        self.paragraphs.join(" ")
    }
}

const EN_SUBJECTS: &[&str] = &[
    "The Director of the Centre",
    "A delegation of the Centre",
    "Liaison officers",
    "Analysts of the Centre",
    "The Council of National Coordinators",
    "Experts of the programme office",
];
const EN_ACTIONS: &[&str] = &[
    "met representatives of",
    "held a working meeting with",
    "presented a report to",
    "trained officers of",
    "signed a protocol with",
    "discussed joint operations with",
];
const EN_PARTNERS: &[&str] = &[
    "the customs service",
    "the border service",
    "the Ministry of Internal Affairs",
    "the drug control agency",
    "partners from Europe & Asia",
    "the <regional> prosecutors",
];
const RU_SUBJECTS: &[&str] = &[
    "Директор Центра",
    "Делегация Центра",
    "Офицеры связи",
    "Аналитики Центра",
    "Совет национальных координаторов",
    "Эксперты программы",
];
const RU_ACTIONS: &[&str] = &[
    "встретился с представителями",
    "провёл рабочее совещание с",
    "представил доклад для",
    "провёл обучение для",
    "подписал протокол с",
    "обсудил совместные операции с",
];
const RU_PARTNERS: &[&str] = &[
    "таможенной службы",
    "пограничной службы",
    "МВД",
    "агентства по контролю над наркотиками",
    "партнёров из Европы и Азии",
    "прокуратуры",
];

/// The archive, newest first.
pub fn archive(lang: Lang, count: usize) -> Vec<Article> {
    let newest = NaiveDate::from_ymd_opt(2021, 5, 12)
        .unwrap()
        .and_hms_opt(10, 14, 0)
        .unwrap();
    (0..count)
        .map(|i| {
            let (s, a, p) = match lang {
                Lang::En => (EN_SUBJECTS, EN_ACTIONS, EN_PARTNERS),
                Lang::Ru => (RU_SUBJECTS, RU_ACTIONS, RU_PARTNERS),
            };
            let pick = |list: &[&str], k: usize| list[(i * k + i / 7) % list.len()].to_string();
            let id = (count - i) as u32;
            let title = format!("{} {} {} ({id})", pick(s, 1), pick(a, 5), pick(p, 7));
            let (intro, paragraphs) = match lang {
                Lang::En => (
                    format!(
                        "Report number {id}: {} {} {}.",
                        pick(s, 3),
                        pick(a, 1),
                        pick(p, 5)
                    ),
                    vec![
                        format!("Report number {id} in full."),
                        format!(
                            "The parties agreed on next steps & a timetable for {}.",
                            2021 - (i % 3)
                        ),
                        "Conversation was open and constructive.".into(),
                    ],
                ),
                Lang::Ru => (
                    format!(
                        "Сообщение номер {id}: {} {} {}.",
                        pick(s, 3),
                        pick(a, 1),
                        pick(p, 5)
                    ),
                    vec![
                        format!("Полный текст сообщения {id}."),
                        "Стороны договорились о дальнейших шагах.".into(),
                        "Беседа прошла в открытой и конструктивной атмосфере.".into(),
                    ],
                ),
            };
            let local = newest - Duration::minutes(29 * 60 * i as i64 + 7 * (i % 5) as i64);
            Article {
                id,
                title,
                local,
                intro,
                paragraphs,
                on_listing: i % 4 == 3,
            }
        })
        .collect()
}

const RU_WEEKDAYS: [&str; 7] = [
    "Понедельник",
    "Вторник",
    "Среда",
    "Четверг",
    "Пятница",
    "Суббота",
    "Воскресенье",
];
const RU_MONTHS: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

/// The date as K2 prints it: "Wednesday, 21 April 2021 10:14" / "Среда, 21 Апрель 2021 10:14".
pub fn k2_date(lang: Lang, t: NaiveDateTime) -> String {
    match lang {
        Lang::En => t.format("%A, %d %B %Y %H:%M").to_string(),
        Lang::Ru => {
            let wd = RU_WEEKDAYS[t.weekday().num_days_from_monday() as usize];
            format!(
                "{wd}, {:02} {} {} {}",
                t.day(),
                RU_MONTHS[t.month0() as usize],
                t.year(),
                t.format("%H:%M")
            )
        }
    }
}

fn prefix(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "/index.php/en/",
        Lang::Ru => "/index.php/ru/",
    }
}

/// The listing path of page `n` (1-based).
pub fn listing_path(lang: Lang, n: usize) -> String {
    let first = format!("{}breaking-news", prefix(lang));
    if n <= 1 {
        first
    } else {
        format!("{first}?start={}", (n - 1) * PER_PAGE)
    }
}

/// The K2 entry of an article.
pub fn k2_item(lang: Lang, a: &Article) -> K2Item {
    K2Item {
        id: a.id,
        title: a.title.clone(),
        date: a.on_listing.then(|| k2_date(lang, a.local)),
        heading: a.on_listing,
        intro: a.intro.clone(),
    }
}

/// The article's page path.
pub fn detail_path(lang: Lang, a: &Article) -> String {
    localize(lang, &k2_item(lang, a).path())
}

fn localize(lang: Lang, s: &str) -> String {
    s.replace("/index.php/en/", prefix(lang))
}

fn detail_html(lang: Lang, a: &Article) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let paras: String = a
        .paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .collect();
    format!(
        "<!DOCTYPE html><html><head>{meta}<title>{t}</title></head><body>\n<div id=\"k2Container\" class=\"itemView\">\n\
         <div class=\"itemHeader\"><span class=\"itemDateCreated\">\n\t{date}\t</span>\n<h2 class=\"itemTitle\">\n\t{t}\t</h2></div>\n\
         <div class=\"itemBody\"><div class=\"itemIntroText\"><p>{intro}</p></div>\n<div class=\"itemFullText\">\n{paras}</div></div>\n\
         <div class=\"itemNavigation\"><a href=\"{list}\">Back</a></div></div></body></html>\n",
        meta = meta(lang),
        t = esc(&a.title),
        date = k2_date(lang, a.local),
        intro = esc(&a.intro),
        list = listing_path(lang, 1),
    )
}

fn meta(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "<meta charset=\"utf-8\">",
        Lang::Ru => {
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">"
        }
    }
}

/// Every listing page of `articles` (newest first): (path, HTML).
pub fn k2_listings(lang: Lang, articles: &[Article]) -> Vec<(String, String)> {
    let pages = articles.len().div_ceil(PER_PAGE);
    let chunks = articles.chunks(PER_PAGE).enumerate();
    chunks
        .map(|(p, chunk)| {
            let items: Vec<K2Item> = chunk.iter().map(|a| k2_item(lang, a)).collect();
            let html = localize(lang, &k2::listing(&items, p + 1, pages))
                .replace("<meta charset=\"utf-8\">", meta(lang));
            (listing_path(lang, p + 1), html)
        })
        .collect()
}

/// Every article page: (path, HTML).
pub fn k2_details(lang: Lang, articles: &[Article]) -> Vec<(String, String)> {
    articles
        .iter()
        .map(|a| (detail_path(lang, a), detail_html(lang, a)))
        .collect()
}

/// Serves every listing page and article page of `articles` (newest first).
pub fn serve_k2(site: &Site, lang: Lang, articles: &[Article]) {
    for (path, html) in k2_listings(lang, articles)
        .into_iter()
        .chain(k2_details(lang, articles))
    {
        put(site, lang, &path, &html);
    }
}

/// English pages as UTF-8 with the charset in the header; Russian ones as windows-1251 with the
/// charset only in `<meta>`.
fn put(site: &Site, lang: Lang, path: &str, html: &str) {
    match lang {
        Lang::En => site.put_html(path, html),
        Lang::Ru => site.put_bytes(
            path,
            "text/html",
            encoding_rs::WINDOWS_1251.encode(html).0.into_owned(),
        ),
    }
}

/// A feed file for the K2 archive with detail pages.
pub fn k2_feed(lang: Lang, base: &str, max_pages: usize) -> String {
    format!(
        r#"title = "K2 archive"
timezone = "Asia/Almaty"

[[source]]
kind = "scrape"
url = "{base}{first}"
{rules}next_page = "li.pagination-next a @href"
max_pages = {max_pages}

[source.detail]
title = "h2.itemTitle"
date = "span.itemDateCreated"
content = "div.itemFullText"
"#,
        first = listing_path(lang, 1),
        rules = k2::LISTING_RULES,
    )
}

/// A blog paged by `/blog/page/N/`, WordPress-like, 10 posts a page.
pub fn serve_blog(site: &Site, posts: usize) -> Vec<(String, String, String)> {
    let mut truth = Vec::new();
    let pages = posts.div_ceil(10);
    for p in 1..=pages {
        let mut html = String::from(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><main>\n",
        );
        for k in 0..10 {
            let i = (p - 1) * 10 + k;
            if i >= posts {
                break;
            }
            let n = posts - i;
            let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(n as i64);
            let (title, link) = (
                format!("Post {n}: notes on sourdough"),
                format!("/blog/{}/post-{n}/", day.format("%Y/%m")),
            );
            let iso = format!("{}T08:30:00+01:00", day.format("%Y-%m-%d"));
            html.push_str(&format!(
                "<article class=\"post\"><h2 class=\"entry-title\"><a href=\"{link}\" rel=\"bookmark\">{title}</a></h2>\
                 <time class=\"entry-date published\" datetime=\"{iso}\">{}</time>\
                 <div class=\"entry-summary\"><p>Summary of post {n}.</p></div></article>\n",
                day.format("%B %-d, %Y")
            ));
            truth.push((title, site.url(&link), iso));
        }
        html.push_str("</main></body></html>");
        let path = if p == 1 {
            "/blog/".to_string()
        } else {
            format!("/blog/page/{p}/")
        };
        site.put_html(&path, &html);
    }
    truth
}
