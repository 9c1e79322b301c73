//! The tracker in a real browser (headless Chromium): identity storage and the public
//! API's tolerance of bad calls. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use orbit_sdk::identity::{cookie_value, ANONYMOUS_ID_KEY};
use orbit_sdk::init_tracker;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(site: &str, key: &str) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&o, &k.into(), &v.into()).unwrap();
    set("site", site);
    set("key", key);
    // Port 9 (discard) on loopback: nothing listens, so every send fails, harmlessly.
    set("endpoint", "http://127.0.0.1:9");
    o.into()
}

fn document() -> web_sys::HtmlDocument {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn stored_cookie() -> Option<String> {
    let jar = document().cookie().unwrap();
    cookie_value(&jar, ANONYMOUS_ID_KEY).map(String::from)
}

fn clear_identity() {
    document()
        .set_cookie(&format!("{ANONYMOUS_ID_KEY}=; Path=/; Max-Age=0"))
        .unwrap();
    local_storage().remove_item(ANONYMOUS_ID_KEY).unwrap();
}

#[wasm_bindgen_test]
fn a_new_visitor_gets_a_uuid_v7_in_cookie_and_local_storage() {
    clear_identity();
    let tracker = init_tracker(&options("demo", "k")).expect("valid options start");
    let id = tracker.anonymous_id();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "7", "version nibble of {id}");
    assert_eq!(stored_cookie().as_deref(), Some(id.as_str()));
    assert_eq!(
        local_storage().get_item(ANONYMOUS_ID_KEY).unwrap(),
        Some(id)
    );
}

#[wasm_bindgen_test]
fn a_returning_visitor_keeps_the_same_id() {
    clear_identity();
    let first = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    let second = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(first, second);
}

#[wasm_bindgen_test]
fn the_cookie_wins_over_local_storage_and_resyncs_it() {
    clear_identity();
    let cookie_id = "01923456-789a-7fff-bfff-ffffffffffff";
    document()
        .set_cookie(&format!("{ANONYMOUS_ID_KEY}={cookie_id}; Path=/"))
        .unwrap();
    local_storage()
        .set_item(ANONYMOUS_ID_KEY, "01923456-789a-7fff-bfff-000000000000")
        .unwrap();
    let id = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(id, cookie_id);
    assert_eq!(
        local_storage()
            .get_item(ANONYMOUS_ID_KEY)
            .unwrap()
            .as_deref(),
        Some(cookie_id)
    );
}

#[wasm_bindgen_test]
fn a_lost_cookie_is_restored_from_local_storage() {
    clear_identity();
    let local_id = "01923456-789a-7fff-bfff-000000000001";
    local_storage()
        .set_item(ANONYMOUS_ID_KEY, local_id)
        .unwrap();
    let id = init_tracker(&options("demo", "k")).unwrap().anonymous_id();
    assert_eq!(id, local_id);
    assert_eq!(stored_cookie().as_deref(), Some(local_id));
}

#[wasm_bindgen_test]
fn options_without_a_key_do_not_start() {
    assert!(init_tracker(&options("demo", "")).is_none());
    assert!(init_tracker(&JsValue::UNDEFINED).is_none());
}

#[wasm_bindgen_test]
fn bad_calls_are_ignored_without_throwing() {
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let args = |values: &[JsValue]| values.iter().collect::<Array>();
    tracker.command("no-such-command", &args(&[]));
    tracker.command("track", &args(&[]));
    tracker.command("track", &args(&[JsValue::from(42)]));
    tracker.command("track", &args(&["Clicked".into(), "not an object".into()]));
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    tracker.command("track", &args(&["Clicked".into(), cyclic.into()]));
    tracker.command("track", &args(&["Clicked".into(), Object::new().into()]));
    tracker.command("page", &args(&["Pricing".into()]));
    tracker.command("flush", &args(&[]));
}

fn args(values: &[JsValue]) -> Array {
    values.iter().collect::<Array>()
}

fn clear_all() {
    clear_identity();
    local_storage().clear().unwrap();
}

#[wasm_bindgen_test]
fn identify_keeps_the_user_and_another_user_gets_a_new_anonymous_id() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let anonymous = tracker.anonymous_id();
    tracker.command("identify", &args(&["user-1".into()]));
    assert_eq!(tracker.user_id().as_deref(), Some("user-1"));
    assert_eq!(
        tracker.anonymous_id(),
        anonymous,
        "identify links, it does not reset"
    );
    assert_eq!(
        local_storage().get_item("orbit_uid").unwrap().as_deref(),
        Some("user-1")
    );
    let again = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(
        again.user_id().as_deref(),
        Some("user-1"),
        "kept across pages"
    );

    again.command("identify", &args(&[JsValue::from(42)]));
    assert_eq!(
        again.user_id().as_deref(),
        Some("42"),
        "numeric ids are text"
    );
    assert_ne!(
        again.anonymous_id(),
        anonymous,
        "a different user resets first"
    );

    again.command("reset", &args(&[]));
    assert_eq!(again.user_id(), None);
    assert!(local_storage().get_item("orbit_uid").unwrap().is_none());
    assert_eq!(stored_cookie(), Some(again.anonymous_id()));
}

#[wasm_bindgen_test]
fn a_session_continues_across_pages_and_reset_ends_it() {
    clear_all();
    let first = init_tracker(&options("demo", "k")).unwrap();
    let session = first.session_id().expect("a page view starts a session");
    first.flush();
    // `flush` ran a delivery pass, which stores the session (normally the end of the task).
    let second = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(second.session_id().as_deref(), Some(session.as_str()));
    second.command("reset", &args(&[]));
    second.command("track", &args(&["After Reset".into()]));
    assert_ne!(second.session_id(), Some(session));
}

#[wasm_bindgen_test]
async fn unsent_events_are_stored_and_taken_over_by_the_next_page() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    for _ in 0..3 {
        tracker.command("track", &args(&["Stored".into(), Object::new().into()]));
    }
    assert_eq!(tracker.pending(), 4, "the page view and three tracks");
    // Let the end-of-task pass store the queue (and fail to send: nothing listens).
    sleep(50).await;
    let keys: Vec<String> = (0..local_storage().length().unwrap())
        .filter_map(|i| local_storage().key(i).unwrap())
        .filter(|k| k.starts_with("orbit_q."))
        .collect();
    // One queue per tab, and a key per request in flight beside it (`<queue key>.<n>`).
    let queues: Vec<&String> = keys.iter().filter(|k| k[8..].find('.').is_none()).collect();
    assert_eq!(queues.len(), 1, "one queue per tab: {keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with(queues[0].as_str())),
        "{keys:?}"
    );
    let stored: String = keys
        .iter()
        .map(|k| local_storage().get_item(k).unwrap().unwrap())
        .collect();
    assert_eq!(stored.matches("\"Stored\"").count(), 3, "{stored}");
    // The tab's next page owns the same key and takes the events over.
    let next = init_tracker(&options("demo", "k")).unwrap();
    assert!(next.pending() >= 4, "adopted: {}", next.pending());
    drop(tracker);
}

#[wasm_bindgen_test]
fn ready_calls_back_and_a_throwing_callback_does_not_escape() {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    let calls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&calls);
    let called = Closure::<dyn FnMut()>::new(move || counter.set(counter.get() + 1));
    tracker.command("ready", &args(&[called.as_ref().clone()]));
    assert_eq!(calls.get(), 1);
    let throws = Closure::<dyn FnMut()>::new(|| wasm_bindgen::throw_str("page bug"));
    tracker.command("ready", &args(&[throws.as_ref().clone()]));
    tracker.command("ready", &args(&["not a function".into()]));
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
fn custom_attributes_are_kept_and_removed() {
    clear_all();
    let tracker = init_tracker(&options("demo", "k")).unwrap();
    tracker.command("set", &args(&["plan".into(), "pro".into()]));
    tracker.command("set", &args(&["seats".into(), JsValue::from(12)]));
    tracker.command("set", &args(&["bad key!".into(), "x".into()]));
    assert_eq!(tracker.attributes(), r#"{"plan":"pro","seats":12}"#);
    let next = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(
        next.attributes(),
        r#"{"plan":"pro","seats":12}"#,
        "kept across pages"
    );
    next.command("set", &args(&["plan".into(), JsValue::NULL]));
    assert_eq!(next.attributes(), r#"{"seats":12}"#);
}

#[wasm_bindgen_test]
fn the_function_javascript_gets_runs_commands_even_from_a_ready_callback() {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    assert!(orbit_sdk::start_tracker(&JsValue::UNDEFINED).is_undefined());
    let orbit: js_sys::Function = orbit_sdk::start_tracker(&options("demo", "k")).unchecked_into();
    let call = |orbit: &js_sys::Function, name: &str, arg: &JsValue| {
        orbit.call2(
            &JsValue::NULL,
            &name.into(),
            &args(std::slice::from_ref(arg)),
        )
    };
    call(&orbit, "track", &"Clicked".into()).expect("a command runs");
    // A ready callback that calls the tracker again, with another ready callback: the nested
    // call runs at once, not as an error about a recursive call.
    let ran = Rc::new(Cell::new(false));
    let nested_ran = Rc::clone(&ran);
    let nested = Closure::<dyn FnMut()>::new(move || nested_ran.set(true));
    let nested_call_ok = Rc::new(Cell::new(false));
    let ok = Rc::clone(&nested_call_ok);
    let again = orbit.clone();
    let nested_fn: JsValue = nested.as_ref().clone();
    let outer = Closure::<dyn FnMut()>::new(move || {
        ok.set(call(&again, "ready", &nested_fn).is_ok());
    });
    call(&orbit, "ready", outer.as_ref()).expect("a ready callback runs");
    assert!(nested_call_ok.get(), "the nested call did not throw");
    assert!(ran.get(), "the nested ready callback ran");
}

// Rules' HTML, sanitised by js/sanitize.js with the browser's parser as the tracker inserts
// it: the same allowlist as orbit-core's sanitiser, which the collector runs.

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/sanitize.js")]
extern "C" {
    #[wasm_bindgen(js_name = putHtml)]
    fn put_html(element: &web_sys::Element, html: &str, position: &str)
        -> Option<web_sys::Element>;
    #[wasm_bindgen(js_name = safeUrl)]
    fn js_safe_url(url: &str) -> bool;
}

/// Hostile HTML (orbit-core's sanitiser tests' vectors and more): what comes out must run
/// nothing, whichever sanitiser made it.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://x/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"jav&#9;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\" &#14;  javascript:alert(1)\">x</a>",
    "<a href=\"&Tab;java&NewLine;script:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>after",
    "<svg><a href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>@import 'http://x/x.css';</style>",
    "<!--<script>alert(1)</script>-->ok",
    "<!-- unclosed <script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml version=\"1.0\"?><b>x</b>",
    "<img src=x onerror=\"alert(1)\"",
    "<img/src=x/onerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    "<div onclick = 'alert(1)' >x</div>",
    "<a href=\"x\" onmouseover=\"alert(1)\" ONCLICK=alert(2)>x</a>",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<form><form><button formaction=\"javascript:alert(1)\">x</button></form></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<template><img src=x onerror=alert(1)></template>",
    "<template shadowrootmode=open><img src=x onerror=alert(1)></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<textarea><script>alert(1)</script></textarea>",
    "<title></title><img src=x onerror=alert(1)>",
    "<a href=\"/ok\" title=\"\" onfocus=\"alert(1)\" autofocus>x</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<img srcset=\"x.png 1x, javascript:alert(1) 2x\">",
    "<picture><source srcset=\"javascript:alert(1)\"><img src=\"/ok.png\"></picture>",
    "<a href=\"java\0script:alert(1)\">x</a>",
    "<div\0 onclick=alert(1)>x</div>",
    "<plaintext><script>alert(1)</script>",
    "<xmp><script>alert(1)</script></xmp>",
    "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">x</p>",
    "<div data-orbit-slot=x data-x=1>x</div>",
    "<blockquote cite=\"javascript:alert(1)\">q</blockquote>",
    "<label for=x is=\"x-evil\" form=f>l</label>",
    "<table><tr><td><img src=x onerror=alert(1)></td></tr></table>",
];

/// A detached element (nothing it holds is in the page or loads).
fn detached() -> web_sys::Element {
    document().create_element("div").unwrap()
}

/// `html` sanitised by sanitize.js, as `innerHTML` reads it.
fn js_sanitised(html: &str) -> String {
    let element = detached();
    element.set_inner_html("<i>before</i>");
    assert!(put_html(&element, html, "").is_none());
    element.inner_html()
}

/// `html` sanitised by orbit-core, as `innerHTML` reads it once the browser parsed it.
fn rust_sanitised(html: &str) -> String {
    let element = detached();
    element.set_inner_html(orbit_core::rules::sanitize_html(html).as_str());
    element.inner_html()
}

/// Whether the browser's URL parser gives `url` a safe scheme (an unparsable URL loads
/// nothing).
fn loads_safely(url: &str) -> bool {
    web_sys::Url::new_with_base(url, "https://page.test/").map_or(true, |u| {
        ["http:", "https:", "mailto:", "tel:"].contains(&u.protocol().as_str())
    })
}

/// Fails unless every element under `root` and each of its attributes is allowlisted (by
/// orbit-core's lists), every URL has a safe scheme to the browser's URL parser, and `root`
/// holds no comment.
fn assert_inert(root: &web_sys::Element, input: &str) {
    use orbit_core::rules::sanitize::{ALLOWED, GLOBAL_ATTRIBUTES};
    assert!(
        !root.inner_html().contains("<!--"),
        "a comment from {input:?}"
    );
    let all = root.query_selector_all("*").unwrap();
    for i in 0..all.length() {
        let element: web_sys::Element = all.get(i).unwrap().dyn_into().unwrap();
        let name = element.local_name();
        let own = ALLOWED.split(',').find_map(|entry| {
            entry
                .strip_prefix(name.as_str())
                .filter(|a| a.is_empty() || a.starts_with(' '))
        });
        let own = own.unwrap_or_else(|| panic!("<{name}> from {input:?}"));
        assert_eq!(
            element.namespace_uri().as_deref(),
            Some("http://www.w3.org/1999/xhtml")
        );
        let attributes = element.attributes();
        for j in 0..attributes.length() {
            let attribute = attributes.item(j).unwrap();
            let (key, value) = (attribute.name(), attribute.value());
            let listed = own
                .split(' ')
                .chain(GLOBAL_ATTRIBUTES.split(' '))
                .any(|a| a == key);
            let prefixed = key.starts_with("aria-")
                || (key.starts_with("data-") && !key.starts_with("data-orbit-"));
            assert!(listed || prefixed, "{key} on <{name}> from {input:?}");
            let urls: Vec<&str> = match key.as_str() {
                "href" | "src" | "cite" => vec![value.as_str()],
                "srcset" => value
                    .split(',')
                    .filter_map(|c| c.split_ascii_whitespace().next())
                    .collect(),
                _ => vec![],
            };
            for url in urls {
                assert!(
                    loads_safely(url),
                    "{key}={value:?} on <{name}> from {input:?}"
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn hostile_html_comes_out_of_the_browser_sanitiser_inert() {
    for input in HOSTILE {
        let element = detached();
        put_html(&element, input, "");
        assert_inert(&element, input);
    }
}

#[wasm_bindgen_test]
fn the_browser_sanitiser_keeps_what_the_rust_one_keeps() {
    let cases: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/rules/cases.json")).unwrap();
    let fixtures = cases["sanitize"].as_array().unwrap().iter();
    let inputs = fixtures
        .map(|case| case["input"].as_str().unwrap())
        .chain(HOSTILE.iter().copied())
        .chain([
            "<p class=\"lead\" style=\"x\">Hello <strong>world</strong><br/>!</p>",
            "<a href=\"https://x.com\" target=\"_blank\">x</a><a target=_self rel=next>y</a>",
            "<div><p>unclosed",
            "<b><i>x</b>y</i>",
            "</div>text</p>",
            "<img src=\"/a.png\" srcset=\"/a.png 1x, https://x.com/b.png 2x\" alt=\"A\" loading=lazy>",
            "<ul><li value=3>a<li>b</ul><ol start=2 reversed type=a><li>c</ol>",
            "<font color=red>kept text</font><center>c</center>",
            "<time datetime=\"2026-01-01\">then</time><label for=f>l</label>",
        ]);
    // Where the browser's parser reads the input otherwise than orbit-core's tokenizer: the
    // HTML parsing algorithm reopens a formatting element closed too early; a template's
    // content is parsed as without scripting, where `<noscript>` holds markup (all dropped
    // with it); and NUL reaches the sanitiser as U+FFFD, which makes a relative URL.
    let different = [
        ("<b><i>x</b>y</i>", "<b><i>x</i></b><i>y</i>"),
        (
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
            "",
        ),
        (
            "<a href=\"java\0script:alert(1)\">x</a>",
            "<a href=\"java\u{fffd}script:alert(1)\">x</a>",
        ),
    ];
    let mut wrong = Vec::new();
    for input in inputs {
        let js = js_sanitised(input);
        let want = match different.iter().find(|(i, _)| *i == input) {
            Some((_, js)) => js.to_string(),
            None => rust_sanitised(input),
        };
        if js != want {
            wrong.push(format!("{input:?}\n   js   {js:?}\n   want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[wasm_bindgen_test]
fn nesting_deeper_than_the_limit_keeps_text_only_in_the_browser_too() {
    use orbit_core::limits::MAX_HTML_DEPTH;
    let input = "<div>".repeat(MAX_HTML_DEPTH + 5) + "deep";
    let html = js_sanitised(&input);
    assert_eq!(html.matches("<div>").count(), MAX_HTML_DEPTH, "{html}");
    assert!(html.contains("deep"));
    assert_eq!(html, rust_sanitised(&input));
}

#[wasm_bindgen_test]
fn the_browser_sanitiser_judges_urls_as_orbit_core_does() {
    let mut urls = vec![
        "https://example.com/a?b#c".to_string(),
        "//cdn.example.com/x.png".into(),
        "averyveryverylongpath/with:colon".into(),
        "somethingverylongscheme:x".into(),
        "&#x6a;avascript:alert(1)".into(),
        "\u{a0}javascript:x".into(),
    ];
    for lead in ["", " ", "\t", "\u{1}", "\u{7f}", "\0", "\n "] {
        for scheme in [
            "javascript",
            "JaVaScRiPt",
            "java\tscript",
            "java\nscript",
            "java\rscript",
            "java\u{1}script",
            "java\u{7f}script",
            "java script",
            "http",
            "HTTPS",
            "ht\ttp",
            "mailto",
            "tel",
            "data",
            "vbscript",
            "file",
            "blob",
            "1http",
            "a+b-c.d",
            "",
            "-x",
        ] {
            for (sep, rest) in [
                (":", "x"),
                ("\0:", "x"),
                ("/", "a:b"),
                ("", ""),
                (" :", "x"),
            ] {
                for trail in ["", " ", "\u{1}"] {
                    urls.push(format!("{lead}{scheme}{sep}{rest}{trail}"));
                }
            }
        }
    }
    let wrong: Vec<_> = urls
        .iter()
        .filter(|url| js_safe_url(url) != orbit_core::rules::is_safe_url(url))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

fn body() -> web_sys::Element {
    document().query_selector("body").unwrap().unwrap()
}

/// An element of the page with this id and content, for the tracker to change.
fn page_element(id: &str, html: &str) -> web_sys::Element {
    let element = detached();
    element.set_id(id);
    element.set_inner_html(html);
    body().append_child(&element).unwrap();
    element
}

#[wasm_bindgen_test]
async fn rules_html_reaches_the_page_sanitised_and_is_undone() {
    use orbit_core::rules::{parse_rules, write_compiled};
    clear_all();
    let payload = "<b>kept</b><img src=x onerror=\"window.orbitPwned=1\">\
        <script>window.orbitPwned=2</script><a href=\"jav&#x09;ascript:window.orbitPwned=3\">a</a>\
        <svg><script>window.orbitPwned=4</script></svg><!-- c -->\
        <template><img src=x onerror=\"window.orbitPwned=5\"></template>\
        <form><form><button formaction=\"javascript:x\">b</button></form></form>\
        <img srcset=\"y 1x, javascript:alert(1) 2x\"><div style=\"color:red\" onclick=\"x\">d</div>";
    let kept = "<b>kept</b><img src=\"x\"><a>a</a><img><div>d</div>";
    let compiled = write_compiled(
        &parse_rules(
            r##"{"rules":[{"id":"html","actions":[
                {"type":"set_html","selector":"#orbit-set","html":"<i>SET</i>"},
                {"type":"insert","selector":"#orbit-insert","position":"after","html":"<i>SET</i>"}]}]}"##,
        )
        .unwrap(),
    );
    // The HTML as a hostile compiled document carries it, unsanitised.
    let json = serde_json::to_string(payload).unwrap();
    let compiled = compiled.replace("\"\\u003ci>SET\\u003c/i>\"", &json);
    assert_eq!(compiled.matches("orbitPwned=5").count(), 2, "{compiled}");
    let rules = document().create_element("script").unwrap();
    rules.set_id(orbit_sdk::personalize::INLINE_RULES_ID);
    rules.set_attribute("type", "application/json").unwrap();
    rules.set_text_content(Some(&compiled));
    body().append_child(&rules).unwrap();
    let set = page_element("orbit-set", "<p>old</p>");
    let insert = page_element("orbit-insert", "<p>here</p>");

    let tracker = init_tracker(&options("demo", "k")).unwrap();
    assert_eq!(set.inner_html(), kept);
    let wrapper = insert
        .next_element_sibling()
        .expect("the insertion's wrapper");
    assert_eq!(
        wrapper.get_attribute("data-orbit-inserted").as_deref(),
        Some("")
    );
    assert_eq!(
        wrapper.get_attribute("style").as_deref(),
        Some("display: contents;")
    );
    assert_eq!(wrapper.inner_html(), kept);
    assert_inert(&set, payload);
    assert_inert(&wrapper, payload);

    // Undone and done again: one wrapper, the same content.
    tracker.command("reapply", &Array::new());
    assert!(!wrapper.is_connected(), "the first wrapper was removed");
    assert_eq!(
        document()
            .query_selector_all("[data-orbit-inserted]")
            .unwrap()
            .length(),
        1
    );
    assert_eq!(set.inner_html(), kept);

    sleep(100).await;
    let pwned = Reflect::get(&web_sys::window().unwrap(), &"orbitPwned".into()).unwrap();
    assert!(pwned.is_undefined(), "a payload ran: {pwned:?}");
    for element in [rules, set, insert] {
        element.remove();
    }
    document()
        .query_selector("[data-orbit-inserted]")
        .unwrap()
        .unwrap()
        .remove();
}
