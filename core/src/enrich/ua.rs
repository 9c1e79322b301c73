//! A small, hand-written user-agent parser.
//!
//! Reports need only the browser family, its major version, the OS and a device class, so a
//! few dozen substring checks do instead of a regex database. Matching is on ASCII bytes and
//! never allocates, except for the version string it returns.
//!
//! The tracker classifies with a JavaScript copy of these tables (`userAgentContext` in
//! sdk-wasm/js/context.js), which keeps them out of its .wasm; the two are held to the same
//! answers by tests/fixtures/user-agents.json: a change to one needs the same change to the
//! other.

use crate::text::{contains, find, split, split_once};
use alloc::string::String;

/// What a user agent says about the software and device behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAgent {
    /// Browser family, e.g. `"Chrome"`; `None` when unrecognised.
    pub browser: Option<&'static str>,
    /// The browser's major version only (e.g. `"131"`): minor versions only add cardinality.
    pub browser_version: Option<String>,
    /// Operating system, e.g. `"macOS"`; iPadOS is reported as `"iOS"`.
    pub os: Option<&'static str>,
    /// The class of device, for "mobile vs desktop" breakdowns.
    pub device: DeviceType,
    /// Whether this is a crawler, monitor or script rather than a person (see [`is_bot`]).
    pub bot: bool,
}

/// The class of device a user agent belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceType {
    /// A desktop or laptop computer (Windows, macOS, Linux, Chrome OS).
    Desktop,
    /// A phone, or a VR headset (Meta Quest, Pico): a small screen held to the eyes, not a
    /// desktop.
    Mobile,
    /// A tablet (iPad, Android without `Mobile`).
    Tablet,
    /// A crawler or script; takes precedence over the platform it imitates.
    Bot,
    /// Nothing in the user agent says.
    Unknown,
}

impl DeviceType {
    /// The lowercase name stored and shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Desktop => "desktop",
            DeviceType::Mobile => "mobile",
            DeviceType::Tablet => "tablet",
            DeviceType::Bot => "bot",
            DeviceType::Unknown => "unknown",
        }
    }
}

/// Lowercase substrings that mark a user agent as automated, matched ASCII case-insensitively,
/// besides a word ending in "bot" ([`is_bot`]).
///
/// That word already covers Googlebot, Bingbot, DuckDuckBot, Applebot, GPTBot, ClaudeBot,
/// CCBot, PetalBot, AdsBot, AhrefsBot and UptimeRobot, `crawl` covers "crawler" and `spider`
/// covers Baiduspider and Bytespider, so those are not listed: every entry is one more scan.
pub const BOT_MARKERS: &[&str] = &[
    "crawl",
    "spider",
    "slurp",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "axios/",
    "node-fetch",
    "facebookexternalhit",
    "bingpreview",
    "ahrefs",
    "semrush",
    "yandex",
    "chatgpt-user",
    "google-inspectiontool",
    "mediapartners-google",
];

/// [`BOT_MARKERS`] as one space-separated string, for the one scan of every table
/// (`first_token`).
const BOT_MARKER_LIST: &str = "crawl spider slurp headlesschrome phantomjs lighthouse pingdom \
curl/ wget/ python-requests python-urllib go-http-client java/ okhttp axios/ node-fetch \
facebookexternalhit bingpreview ahrefs semrush yandex chatgpt-user google-inspectiontool \
mediapartners-google";

/// Browser tokens in the order they must be tried: Edge, Opera and Samsung Internet also send
/// `Chrome/`, and nearly everything sends `Safari/`, so the specific tokens come first.
/// Entries `token=name`, separated by `,` (one string is smaller than a slice of pairs, and
/// reads like the JavaScript copy's); `Edge/` is legacy (EdgeHTML) Edge, which would
/// otherwise pass for Chrome, and Opera Mini counts as Opera.
const BROWSER_TOKENS: &str = "Edg/=Edge,EdgA/=Edge,EdgiOS/=Edge,Edge/=Edge,OPR/=Opera,\
Opera Mini/=Opera,SamsungBrowser/=Samsung Internet,Firefox/=Firefox,FxiOS/=Firefox,\
Chrome/=Chrome,CriOS/=Chrome,MSIE =Internet Explorer";

/// Operating-system tokens, like [`BROWSER_TOKENS`]. Order matters: iOS says "like Mac OS X",
/// Android and Chrome OS run on Linux. iPadOS in its default "desktop" mode sends a Mac user
/// agent; only touch support tells them apart, which a user-agent string cannot.
const OS_TOKENS: &str = "Windows=Windows,iPhone=iOS,iPad=iOS,iPod=iOS,Android=Android,\
CrOS=Chrome OS,Mac OS X=macOS,Macintosh=macOS,Linux=Linux";

/// Parses a `User-Agent` header or `navigator.userAgent`; never fails, unknown parts are `None`.
pub fn parse_user_agent(ua: &str) -> UserAgent {
    let (browser, os, device) = classify(ua);
    let version_at = self::browser(ua).and_then(|(_, at)| at);
    UserAgent {
        browser,
        browser_version: version_at.and_then(|at| major_version(ua, at)),
        os,
        device,
        // Only a bot's device is `Bot`.
        bot: device == DeviceType::Bot,
    }
}

/// The browser family, the OS and the device class: what rules test, without the version
/// (whose `String` a visitor context does without).
pub(crate) fn classify(ua: &str) -> (Option<&'static str>, Option<&'static str>, DeviceType) {
    let os = first_token(ua, OS_TOKENS, b',', false).map(|(name, _)| name);
    let browser = browser(ua).map(|(name, _)| name);
    (browser, os, device(ua, os, is_bot(ua)))
}

/// Whether a user agent is automated traffic that should not count as a visitor: an empty
/// one, one with a word ending in "bot" (any case: "Googlebot/2.1", "AdsBot-Google",
/// "TelegramBot (like …)"; not "Abbott", nor the phone brand "CUBOT"), or one containing any
/// of [`BOT_MARKERS`].
pub fn is_bot(ua: &str) -> bool {
    ua.is_empty() || has_bot_word(ua) || first_token(ua, BOT_MARKER_LIST, b' ', true).is_some()
}

/// Whether "bot" (any case) ends a word of `ua`: no ASCII letter after it, and not "cubot".
fn has_bot_word(ua: &str) -> bool {
    let b = ua.as_bytes();
    let is = |at: usize, word: &[u8]| {
        b.get(at..at + word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
    };
    (0..b.len()).any(|i| {
        is(i, b"bot")
            && !b.get(i + 3).is_some_and(u8::is_ascii_alphabetic)
            && !(i >= 2 && is(i - 2, b"cu"))
    })
}

/// The first entry of `table` (entries `token` or `token=name`, separated by `sep`) whose
/// token `ua` contains: its name (empty without one) and where the token ends in `ua`. The
/// one scan behind the browser, OS and bot tables.
fn first_token(
    ua: &str,
    table: &'static str,
    sep: u8,
    ignore_case: bool,
) -> Option<(&'static str, usize)> {
    for entry in split(table, sep) {
        let (token, name) = split_once(entry, b'=').unwrap_or((entry, ""));
        if let Some(at) = find(ua, token, ignore_case) {
            return Some((name, at + token.len()));
        }
    }
    None
}

/// The browser family, and where its version starts in `ua` (if it says).
fn browser(ua: &str) -> Option<(&'static str, Option<usize>)> {
    let (name, version_at) = if let Some((name, end)) = first_token(ua, BROWSER_TOKENS, b',', false)
    {
        (name, Some(end))
    } else if let Some(end) = contains(ua, "Safari/", false)
        .then(|| token_end(ua, "Version/"))
        .flatten()
    {
        ("Safari", Some(end))
    } else if contains(ua, "Trident/", false) {
        // IE 11 dropped `MSIE`; its version is in `rv:`.
        ("Internet Explorer", token_end(ua, "rv:"))
    } else {
        return None;
    };
    Some((name, version_at))
}

/// Where the first `token` in `ua` ends, if it is there.
fn token_end(ua: &str, token: &str) -> Option<usize> {
    Some(find(ua, token, false)? + token.len())
}

/// The digits of `ua` from byte `at` on, if there are any.
fn major_version(ua: &str, at: usize) -> Option<String> {
    let rest = ua.as_bytes().get(at..)?;
    let mut digits = 0;
    while rest.get(digits).is_some_and(u8::is_ascii_digit) {
        digits += 1;
    }
    ua.get(at..at + digits)
        .filter(|d| !d.is_empty())
        .map(String::from)
}

fn device(ua: &str, os: Option<&str>, bot: bool) -> DeviceType {
    if bot {
        DeviceType::Bot
    } else if contains(ua, "iPad", false) {
        DeviceType::Tablet
    } else if contains(ua, "iPhone", false) || contains(ua, "iPod", false) {
        DeviceType::Mobile
    } else if os == Some("Android") {
        // Android phones send "Mobile"; tablets leave it out by convention. Opera Mini, a
        // phone browser, sends neither.
        if contains(ua, "Mobile", false) || contains(ua, "Opera Mini", false) {
            DeviceType::Mobile
        } else {
            DeviceType::Tablet
        }
    } else if contains(ua, "Mobi", false) || contains(ua, " VR ", false) {
        // " VR " is a headset's browser (Meta Quest, Pico), which may send a desktop Linux
        // agent: not a desktop, but counted with the phones, as the Quest's Android agent is.
        DeviceType::Mobile
    } else if os.is_some() {
        // Windows, macOS, Linux or Chrome OS: iOS says iPhone, iPad or iPod, handled above.
        DeviceType::Desktop
    } else {
        DeviceType::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        ua: &str,
        browser: Option<&str>,
        version: Option<&str>,
        os: Option<&str>,
        device: DeviceType,
    ) {
        let parsed = parse_user_agent(ua);
        assert_eq!(parsed.browser, browser, "browser of {ua}");
        assert_eq!(
            parsed.browser_version.as_deref(),
            version,
            "version of {ua}"
        );
        assert_eq!(parsed.os, os, "os of {ua}");
        assert_eq!(parsed.device, device, "device of {ua}");
        assert_eq!(parsed.bot, device == DeviceType::Bot, "bot flag of {ua}");
    }

    #[test]
    fn the_marker_words_are_the_public_list() {
        assert!(BOT_MARKER_LIST.split(' ').eq(BOT_MARKERS.iter().copied()));
    }

    #[test]
    fn chrome_on_windows_is_a_desktop() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            Some("Chrome"),
            Some("131"),
            Some("Windows"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn safari_on_macos_takes_its_version_from_the_version_token() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
            Some("Safari"),
            Some("17"),
            Some("macOS"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn safari_on_iphone_is_ios_mobile_not_macos() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            Some("Safari"),
            Some("18"),
            Some("iOS"),
            DeviceType::Mobile,
        );
    }

    #[test]
    fn safari_on_ipad_is_ios_tablet() {
        check(
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
            Some("Safari"),
            Some("16"),
            Some("iOS"),
            DeviceType::Tablet,
        );
    }

    #[test]
    fn chrome_on_an_android_phone_is_mobile() {
        check(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            Some("Chrome"),
            Some("131"),
            Some("Android"),
            DeviceType::Mobile,
        );
    }

    #[test]
    fn chrome_on_ios_is_chrome() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            Some("Chrome"),
            Some("131"),
            Some("iOS"),
            DeviceType::Mobile,
        );
    }

    #[test]
    fn samsung_internet_on_an_android_tablet_is_not_chrome() {
        check(
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
            Some("Samsung Internet"),
            Some("23"),
            Some("Android"),
            DeviceType::Tablet,
        );
    }

    #[test]
    fn firefox_on_linux_is_a_desktop() {
        check(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            Some("Firefox"),
            Some("133"),
            Some("Linux"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn edge_on_windows_is_not_chrome() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            Some("Edge"),
            Some("131"),
            Some("Windows"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn opera_is_not_chrome() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
            Some("Opera"),
            Some("115"),
            Some("Windows"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn opera_mini_on_android_is_a_mobile_opera() {
        check(
            "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16",
            Some("Opera"),
            Some("36"),
            Some("Android"),
            DeviceType::Mobile,
        );
    }

    #[test]
    fn chrome_on_chromebook_is_chrome_os() {
        check(
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            Some("Chrome"),
            Some("131"),
            Some("Chrome OS"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn internet_explorer_11_reads_its_version_from_rv() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
            Some("Internet Explorer"),
            Some("11"),
            Some("Windows"),
            DeviceType::Desktop,
        );
        check(
            "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
            Some("Internet Explorer"),
            Some("10"),
            Some("Windows"),
            DeviceType::Desktop,
        );
    }

    #[test]
    fn googlebot_is_a_bot_with_no_browser() {
        check(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            None,
            None,
            None,
            DeviceType::Bot,
        );
    }

    #[test]
    fn googlebot_smartphone_is_a_bot_even_though_it_imitates_android() {
        let parsed = parse_user_agent(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        );
        assert!(parsed.bot);
        assert_eq!(parsed.device, DeviceType::Bot);
        assert_eq!(parsed.os, Some("Android"));
    }

    #[test]
    fn curl_is_a_bot() {
        check("curl/8.5.0", None, None, None, DeviceType::Bot);
    }

    #[test]
    fn headless_chrome_is_a_bot_but_still_chrome() {
        check(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            Some("Chrome"),
            Some("131"),
            Some("Linux"),
            DeviceType::Bot,
        );
    }

    #[test]
    fn an_empty_user_agent_is_a_bot() {
        check("", None, None, None, DeviceType::Bot);
    }

    #[test]
    fn every_listed_crawler_and_client_is_detected_in_any_case() {
        let names = [
            "bot",
            "crawler",
            "spider",
            "crawl",
            "slurp",
            "headlesschrome",
            "phantomjs",
            "lighthouse",
            "pingdom",
            "uptimerobot",
            "curl/",
            "wget/",
            "python-requests",
            "python-urllib",
            "go-http-client",
            "java/",
            "okhttp",
            "axios/",
            "node-fetch",
            "facebookexternalhit",
            "bingpreview",
            "ahrefs",
            "semrush",
            "yandex",
            "baiduspider",
            "duckduckbot",
            "applebot",
            "gptbot",
            "chatgpt-user",
            "claudebot",
            "ccbot",
            "bytespider",
            "petalbot",
            "google-inspectiontool",
            "mediapartners-google",
            "adsbot",
        ];
        for name in names {
            assert!(is_bot(name), "{name}");
            assert!(is_bot(&name.to_ascii_uppercase()), "{name} in upper case");
            assert!(is_bot(&alloc::format!(
                "Mozilla/5.0 (compatible; {name}/2.1)"
            )));
        }
    }

    #[test]
    fn bot_counts_only_at_the_end_of_a_word() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "AdsBot-Google (+http://www.google.com/adsbot.html)",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) Googlebot",
            "robot",
            "BOT",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
        for ua in [
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; Cubot_Note) Mobile",
            "Mozilla/5.0 (Linux; Android 9; Abbott Sensor) Mobile",
            "Mozilla/5.0 (X11; Linux x86_64) Bottle/1.0",
        ] {
            assert!(!is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn ordinary_browsers_are_not_bots() {
        assert!(!is_bot(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
        ));
        assert!(!is_bot(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
        ));
    }

    #[test]
    fn an_unrecognised_agent_is_unknown_everywhere() {
        check(
            "Mozilla/5.0 (PlayStation; PlayStation 5/2.26)",
            None,
            None,
            None,
            DeviceType::Unknown,
        );
    }

    /// The corpus the tracker's classifier in JavaScript (sdk-wasm/js/context.js) is held to
    /// as well, in node and beside this one in the browser.
    #[test]
    fn every_agent_of_the_shared_corpus_is_classified_as_recorded() {
        let corpus: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/user-agents.json")).unwrap();
        let cases = corpus["cases"].as_array().unwrap();
        assert!(cases.len() > 300, "a corpus of a few hundred agents");
        for case in cases {
            let ua = case["user_agent"].as_str().unwrap();
            let parsed = parse_user_agent(ua);
            assert_eq!(parsed.device.as_str(), case["device"], "device of {ua:?}");
            assert_eq!(
                parsed.browser,
                case["browser"].as_str(),
                "browser of {ua:?}"
            );
            assert_eq!(parsed.os, case["os"].as_str(), "os of {ua:?}");
        }
        // Every entry of every table decides some case.
        let tables = BROWSER_TOKENS.split(',').chain(OS_TOKENS.split(','));
        for entry in tables.chain(BOT_MARKERS.iter().copied()) {
            let token = entry.split('=').next().unwrap();
            let decides = |case: &serde_json::Value| {
                let ua = case["user_agent"].as_str().unwrap();
                ua.contains(token) && classify(&ua.replace(token, "")) != classify(ua)
            };
            assert!(cases.iter().any(decides), "no case for {token:?}");
        }
    }

    #[test]
    fn device_names_are_lowercase() {
        let all = [
            (DeviceType::Desktop, "desktop"),
            (DeviceType::Mobile, "mobile"),
            (DeviceType::Tablet, "tablet"),
            (DeviceType::Bot, "bot"),
            (DeviceType::Unknown, "unknown"),
        ];
        for (device, name) in all {
            assert_eq!(device.as_str(), name);
        }
    }
}
