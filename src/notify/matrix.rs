//! `matrix`: `PUT {url}/send/m.room.message/{txnId}` with `Authorization: Bearer <secret>`
//! (https://spec.matrix.org/v1.11/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid),
//! where `url` is `https://HOMESERVER/_matrix/client/v3/rooms/ROOM_ID` and the transaction id is the
//! delivery id, so a retried delivery is not posted twice. Events are at most 65536 bytes.

use super::{Message, Request, cut};
use crate::config::Webhook;
use crate::extract::text::escape_html;

/// The formatted and plain bodies together stay under this many bytes.
const EVENT_BYTES: usize = 60_000;

pub fn render(hook: &Webhook, msg: &Message, id: &str) -> Request {
    let mut url = hook.url.clone();
    if let Ok(mut segs) = url.path_segments_mut() {
        segs.pop_if_empty().extend(["send", "m.room.message", id]);
    }
    let mut plain = format!("{}\n", msg.headline());
    let mut html = format!("<strong>{}</strong><ul>", escape_html(&msg.headline()));
    let templated = msg.templated(hook.template.as_deref());
    for (i, it) in msg.items.iter().enumerate() {
        let t = cut(&it.title, 500);
        let (p, h) = match (&templated, &it.link) {
            (Some(lines), _) => (
                format!("{}\n", lines[i]),
                format!("<li>{}</li>", escape_html(&lines[i])),
            ),
            (None, link) => match link {
                Some(l) => (
                    format!("- {t} {l}\n"),
                    format!(
                        "<li><a href=\"{}\">{}</a></li>",
                        escape_html(l),
                        escape_html(&t)
                    ),
                ),
                None => (format!("- {t}\n"), format!("<li>{}</li>", escape_html(&t))),
            },
        };
        if plain.len() + html.len() + p.len() + h.len() > EVENT_BYTES {
            let more = format!("…and {} more in the feed", msg.items.len() - i);
            plain.push_str(&more);
            html.push_str(&format!("<li>{more}</li>"));
            break;
        }
        plain.push_str(&p);
        html.push_str(&h);
    }
    html.push_str("</ul>");
    Request::json(
        "PUT",
        url,
        &serde_json::json!({
            "msgtype": "m.text",
            "body": plain,
            "format": "org.matrix.custom.html",
            "formatted_body": html,
        }),
    )
    .bearer(hook.secret.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    #[test]
    fn matrix_puts_with_the_delivery_id_and_stays_under_the_event_limit() {
        let h = hook(
            WebhookKind::Matrix,
            "https://matrix.test/_matrix/client/v3/rooms/!abc:matrix.test",
            Some("tok"),
        );
        let r = render(&h, &message(1000, 400), "msg_42");
        assert_eq!(r.method, "PUT");
        assert!(
            r.url
                .path()
                .ends_with("/rooms/!abc:matrix.test/send/m.room.message/msg_42"),
            "{}",
            r.url
        );
        assert!(r.body.len() < 65_536);
        assert!(
            r.headers
                .contains(&("Authorization".into(), "Bearer tok".into()))
        );
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            v["formatted_body"]
                .as_str()
                .unwrap()
                .contains("&lt;&amp;&gt;")
        );
    }
}
