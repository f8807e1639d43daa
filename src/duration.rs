//! Durations as people write them on the command line and in overlays: `500ms`, `30s`, `5m`,
//! `1h`, `1m30s`, or a bare number of seconds.

use std::time::Duration;

/// Parses a duration; the error says what was expected.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return seconds(secs, text);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad(text));
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| bad(text))?;
        if number_len == 0 {
            return Err(bad(text));
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad(text))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad(text)),
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    seconds(total, text)
}

/// Reads an optional duration in a settings file: text as [`parse`] takes it, or a number of
/// seconds. A wrong one is an error at the value, with the file's line and column.
pub fn deserialize_opt<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        Seconds(f64),
        Text(String),
    }
    let written: Option<Written> = serde::Deserialize::deserialize(deserializer)?;
    match written {
        None => Ok(None),
        Some(Written::Seconds(secs)) => seconds(secs, &secs.to_string())
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(Written::Text(text)) => parse(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

/// The defaults of the durations a run takes, as a user would write them; `docrun run`'s flags
/// show them in `--help`, and `docrun test` falls back on them after `docrun.yaml`.
pub mod defaults {
    /// A step's timeout.
    pub const STEP_TIMEOUT: &str = "5m";
    /// How long a verification step is retried.
    pub const RETRY: &str = "30s";
    /// How long a native wait (pods ready, rollout, condition) may take.
    pub const WAIT_TIMEOUT: &str = "5m";
}

/// A default of [`defaults`], parsed.
pub fn default(text: &'static str) -> Duration {
    parse(text).unwrap_or(Duration::from_secs(300))
}

/// Reads an optional duration that must be more than zero (a timeout), as
/// [`deserialize_opt`] does.
pub fn deserialize_positive_opt<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    match deserialize_opt(deserializer)? {
        Some(d) if d.is_zero() => Err(serde::de::Error::custom(
            "a timeout must be more than zero (e.g. 2s)",
        )),
        other => Ok(other),
    }
}

/// Parses a duration that must be more than zero (a timeout, a call's time limit).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration.is_zero() {
        return Err(format!(
            "`{}`: must be more than zero (e.g. 2s)",
            text.trim()
        ));
    }
    Ok(duration)
}

fn seconds(secs: f64, text: &str) -> Result<Duration, String> {
    if secs.is_finite() && (0.0..1e9).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(bad(text))
    }
}

fn bad(text: &str) -> String {
    format!("`{text}` is not a duration (write e.g. 500ms, 30s, 5m, 1h, 1m30s)")
}

/// Short human form: `0.21s`, `1m05s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        let m = (secs / 60.0).floor();
        format!("{}m{:02.0}s", m as u64, secs - m * 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let cases = [
            ("500ms", 0.5),
            ("30s", 30.0),
            ("5m", 300.0),
            ("1h", 3600.0),
            ("1m30s", 90.0),
            ("2", 2.0),
            ("0.5", 0.5),
            ("0s", 0.0),
        ];
        for (text, secs) in cases {
            assert_eq!(parse(text), Ok(Duration::from_secs_f64(secs)), "{text}");
        }
        for text in ["", "5x", "m", "-1", "1.2.3s", "inf"] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert_eq!(parse_positive("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_positive("0s").unwrap_err().contains("more than zero"));
    }
}
