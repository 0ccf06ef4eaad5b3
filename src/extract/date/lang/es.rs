//! Spanish. "ago" (agosto) is also the English "ago": the "ago" layer runs before month names and
//! needs a number and a unit before it, so "21 ago 2021" is August. "mar" is both martes and marzo.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "es",
    months: [
        &["enero", "ene"],
        &["febrero", "feb"],
        &["marzo", "mar"],
        &["abril", "abr"],
        &["mayo"],
        &["junio", "jun"],
        &["julio", "jul"],
        &["agosto", "ago"],
        &["septiembre", "setiembre", "sep", "sept"],
        &["octubre", "oct"],
        &["noviembre", "nov"],
        &["diciembre", "dic"],
    ],
    weekdays: [
        &["lunes", "lun"],
        &["martes", "mar"],
        &["miércoles", "miercoles", "mié", "mie"],
        &["jueves", "jue"],
        &["viernes", "vie"],
        &["sábado", "sabado", "sáb", "sab"],
        &["domingo", "dom"],
    ],
    ago_after: &[],
    ago_before: &["hace"],
    one: &["un", "una"],
    units: &[
        ("segundo", SECOND),
        ("minuto", MINUTE),
        ("hora", HOUR),
        ("día", DAY),
        ("dia", DAY),
        ("semana", WEEK),
        ("mes", MONTH),
        ("año", YEAR),
        ("ano", YEAR),
    ],
    day_words: &[("hoy", 0), ("ayer", 1), ("anteayer", 2)],
    now_words: &[],
    am: &[],
    pm: &[],
    hour_marks: &[],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    #[test]
    fn spanish_dates() {
        check(
            "es",
            &[
                (
                    "miércoles, 21 de abril de 2021 10:14",
                    "Europe/Madrid",
                    "2021-04-21T08:14:00Z",
                ),
                (
                    "mar., 20 de abril de 2021",
                    "Europe/Madrid",
                    "2021-04-19T22:00:00Z",
                ),
                ("21 ago 2021", "Europe/Madrid", "2021-08-20T22:00:00Z"),
                ("hace 2 horas", "Europe/Madrid", "2026-11-28T10:00:00Z"),
                ("hace un mes", "Europe/Madrid", "2026-10-29T12:00:00Z"),
                ("ayer a las 18:30", "Europe/Madrid", "2026-11-27T17:30:00Z"),
            ],
        );
    }
}
