//! A Joomla K2 category listing like the motivating site's: `div.catItemView` entries, most without a
//! title heading or date (the headline only in the image link's `title`), some with
//! `h3.catItemTitle` and `span.catItemDateCreated` ("Wednesday, 21 April 2021 10:14", Almaty time),
//! an intro paragraph, and `div.k2Pagination`. `rated_listing` is the site as it really is: 24
//! entries a page, each with K2's star-rating widget (`ul.itemRatingList`, links to `#`). The texts
//! are written for these tests.

/// One entry of the listing.
#[derive(Clone, Debug)]
pub struct K2Item {
    pub id: u32,
    pub title: String,
    /// The K2 date text, shown on the listing only for some entries.
    pub date: Option<String>,
    /// Whether the listing shows the title heading (else only the image link's title attribute).
    pub heading: bool,
    pub intro: String,
}

impl K2Item {
    /// The item page's path, as K2 builds it.
    pub fn path(&self) -> String {
        format!(
            "/index.php/en/breaking-news/item/{}-{}",
            self.id,
            slug(&self.title)
        )
    }
}

fn slug(title: &str) -> String {
    let s: String = title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("-")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The twelve entries of the first listing page, newest first.
pub fn items() -> Vec<K2Item> {
    let t = |id, title: &str, date: Option<&str>, heading, intro: &str| K2Item {
        id,
        title: title.into(),
        date: date.map(str::to_string),
        heading,
        intro: intro.into(),
    };
    vec![
        t(
            830,
            "Director of the Centre met the head of the Drug Control Service",
            None,
            false,
            "On 12 May 2021 the Director of the Centre met the head of the Drug Control Service of the Kyrgyz Republic. They discussed joint work against drug trafficking.",
        ),
        t(
            829,
            "Videoconference with the Ambassador of Norway",
            None,
            false,
            "The Director of the Centre and the head of the programme office held a videoconference with the Ambassador of Norway on 29 April 2021.",
        ),
        t(
            828,
            "Bilateral meetings with embassies in Nur-Sultan",
            None,
            false,
            "A delegation of the Centre held meetings with heads of diplomatic missions in Nur-Sultan from 20 to 26 April 2021.",
        ),
        t(
            827,
            "Donor Conference on Funding CARICC",
            Some("Wednesday, 21 April 2021 10:14"),
            true,
            "A donor conference on funding the Centre was held via videoconference on 20 April 2021.",
        ),
        t(
            826,
            "Side event at the 64th CND session: \"cooperation & coordination\"",
            None,
            false,
            "On 14 April the Centre and the programme office in Almaty held a side event during the 64th session of the Commission on Narcotic Drugs.",
        ),
        t(
            825,
            "Webinar on smuggling: customs <Europe> & Central Asia",
            Some("Tuesday, 16 March 2021 15:30"),
            true,
            "A webinar on international cooperation against smuggling took place on 16 March 2021 with customs experts.",
        ),
        t(
            824,
            "Expert meeting on parallel financial investigations",
            None,
            false,
            "On 10-11 March 2021 the Centre held an expert working meeting on financial investigations with agencies of Kazakhstan.",
        ),
        t(
            823,
            "Second seminar on data analysis software",
            None,
            false,
            "The second seminar of the training course on software for data collection and analysis was held in Nur-Sultan from 9 to 13 March 2021.",
        ),
        t(
            822,
            "Liaison officers & analysts: annual meeting",
            Some("Friday, 05 March 2021 09:00"),
            true,
            "Liaison officers of member and observer states met to review the year's operations.",
        ),
        t(
            821,
            "Training for border service officers",
            None,
            false,
            "Officers of the border service completed a training on risk profiling at checkpoints.",
        ),
        t(
            820,
            "Report on the drug situation in the region",
            None,
            false,
            "The Centre published its report on the drug situation in Central Asia for 2020.",
        ),
        t(
            819,
            "Meeting of the Council of National Coordinators",
            Some("Monday, 01 February 2021 11:45"),
            true,
            "The Council of National Coordinators met online to approve the work plan for 2021.",
        ),
    ]
}

/// A new entry published after the others.
pub fn fresh_item() -> K2Item {
    K2Item {
        id: 831,
        title: "Joint operation results presented".into(),
        date: None,
        heading: false,
        intro: "The results of a joint operation against precursor smuggling were presented to member states.".into(),
    }
}

/// The listing page with these entries (page `page` of `pages`).
pub fn listing(items: &[K2Item], page: usize, pages: usize) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en-gb\"><head><meta charset=\"utf-8\"><title>Breaking news</title></head><body>\n\
         <div id=\"k2Container\" class=\"itemListView\">\n<h2 class=\"catTitle\">Breaking news <span>(306)</span></h2>\n\
         <div class=\"itemList\"><div id=\"itemListLeading\">\n",
    );
    for it in items {
        html.push_str(&entry(it));
    }
    html.push_str("</div></div>\n");
    html.push_str(&pagination(page, pages));
    html.push_str("</div></body></html>\n");
    html
}

fn entry(it: &K2Item) -> String {
    let path = it.path();
    let date = it.date.as_ref().map_or(String::new(), |d| {
        format!("<span class=\"catItemDateCreated\">\n\t\t{d}\t</span>\n")
    });
    let heading = if it.heading {
        format!(
            "<h3 class=\"catItemTitle\">\n\t<a href=\"{path}\">\n\t{}\t</a>\n</h3>\n",
            esc(&it.title)
        )
    } else {
        String::new()
    };
    format!(
        "<div class=\"itemContainer\" style=\"width:100.0%;\">\n<div class=\"catItemView groupLeading\">\n\
         <div class=\"catItemHeader\">\n{date}{heading}</div>\n\
         <div class=\"catItemRatingBlock\"><span>Rate this item</span><div class=\"itemRatingForm\"><div class=\"itemRatingLog\">(0 votes)</div></div></div>\n\
         <div class=\"catItemBody\">\n<div class=\"catItemImageBlock\"><span class=\"catItemImage\">\
         <a href=\"{path}\" title=\"{t}\"><img src=\"/media/k2/items/cache/{id}_XS.jpg\" alt=\"{t}\" style=\"width:100px; height:auto;\" /></a></span></div>\n\
         <div class=\"catItemIntroText\">\n\t<p>{intro}</p>\t</div>\n</div>\n\
         <div class=\"catItemReadMore\"><a class=\"k2ReadMore\" href=\"{path}\">Read more...</a></div>\n</div>\n</div>\n",
        t = esc(&it.title),
        id = it.id,
        intro = esc(&it.intro),
    )
}

/// The listing as the real site shows it: every entry with its star-rating widget, `per_page`
/// entries a page, `?start=` counting entries.
pub fn rated_listing(items: &[K2Item], page: usize, pages: usize, per_page: usize) -> String {
    let plain = listing(items, page, pages);
    let mut html = String::new();
    let mut rest = plain.as_str();
    for it in items {
        let widget = format!(
            "<div class=\"catItemRatingBlock\"><span>Rate this item</span><div class=\"itemRatingForm\"><ul class=\"itemRatingList\"><li class=\"itemCurrentRating\" id=\"itemCurrentRating{id}\" style=\"width:0%;\"></li>{stars}</ul><div id=\"itemRatingLog{id}\" class=\"itemRatingLog\">(0 votes)</div></div></div>",
            id = it.id,
            stars = (1..=5)
                .map(|n| format!(
                    "<li><a href=\"#\" data-id=\"{}\" title=\"{n} stars out of 5\" class=\"s{n}\">{n}</a></li>",
                    it.id
                ))
                .collect::<String>()
        );
        let block = "<div class=\"catItemRatingBlock\"><span>Rate this item</span><div class=\"itemRatingForm\"><div class=\"itemRatingLog\">(0 votes)</div></div></div>";
        let at = rest.find(block).expect("each entry has its rating block");
        html.push_str(&rest[..at]);
        html.push_str(&widget);
        rest = &rest[at + block.len()..];
    }
    html.push_str(rest);
    html.replace(
        &format!("?start={}\"", page * 12),
        &format!("?start={}\"", page * per_page),
    )
}

fn pagination(page: usize, pages: usize) -> String {
    let next = if page < pages {
        format!(
            "<li class=\"pagination-next\"><a title=\"Next\" href=\"/index.php/en/breaking-news?start={}\" class=\"hasTooltip pagenav\">Next</a></li>",
            page * 12
        )
    } else {
        String::new()
    };
    format!(
        "<div class=\"k2Pagination\"><ul class=\"pagination-list\">{next}</ul><p class=\"counter\">Page {page} of {pages}</p></div>\n"
    )
}

/// The selectors of a K2 category listing, as every K2 feed file of the tests writes them.
pub const LISTING_RULES: &str = r#"items = "div.catItemView"
link  = ["h3.catItemTitle a @href", "span.catItemImage a @href", "a.k2ReadMore @href"]
title = ["h3.catItemTitle a", "span.catItemImage a @title"]
date  = "span.catItemDateCreated"
summary = "div.catItemIntroText"
"#;

/// A feed file for this site.
pub fn feed_file(base: &str) -> String {
    format!(
        r#"title = "K2 fixture — Breaking news"
link = "{base}/index.php/en/breaking-news"
timezone = "Asia/Almaty"
schedule = "0 */2 * * *"

[[source]]
kind = "scrape"
url = "{base}/index.php/en/breaking-news"
{LISTING_RULES}"#
    )
}
