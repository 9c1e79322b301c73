//! Personalisation in a real browser (headless Chromium): a rule document inlined in the
//! page changes its elements when the tracker starts, `reapply` puts them back before
//! applying again, and after an SPA navigation a rule that no longer applies leaves every
//! element it changed as it was; a forged document's attributes and styles that could run code
//! are not set. A page of its own, so the inlined rules reach no other test.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use orbit_core::rules::{parse_rules, write_compiled};
use orbit_sdk::init_tracker;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options() -> JsValue {
    let o = Object::new();
    set(&o, "site", "demo");
    set(&o, "key", "k");
    // Port 9 (discard) on loopback: nothing listens, so every request fails, harmlessly.
    set(&o, "endpoint", "http://127.0.0.1:9");
    o.into()
}

fn set(target: &JsValue, name: &str, value: &str) {
    Reflect::set(target, &name.into(), &value.into()).unwrap();
}

/// `target[method](...args)`.
fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> JsValue {
    let function = Reflect::get(target, &method.into()).unwrap();
    let list: Array = args.iter().copied().collect();
    Reflect::apply::<fn() -> JsValue>(function.unchecked_ref(), target, &list).unwrap()
}

fn document() -> JsValue {
    Reflect::get(&js_sys::global(), &"document".into()).unwrap()
}

fn class(id: &str) -> String {
    let element = call(&document(), "getElementById", &[&id.into()]);
    call(&element, "getAttribute", &[&"class".into()])
        .as_string()
        .unwrap_or_default()
}

/// The element `id`'s `property` of its style, with its priority.
fn style(id: &str, property: &str) -> (String, String) {
    let element = call(&document(), "getElementById", &[&id.into()]);
    let style = Reflect::get(&element, &"style".into()).unwrap();
    let read = |method: &str| {
        call(&style, method, &[&property.into()])
            .as_string()
            .unwrap_or_default()
    };
    (read("getPropertyValue"), read("getPropertyPriority"))
}

/// The element `id`'s attribute `name`, `None` when it has none.
fn attribute(id: &str, name: &str) -> Option<String> {
    let element = call(&document(), "getElementById", &[&id.into()]);
    call(&element, "getAttribute", &[&name.into()]).as_string()
}

/// The element `id`'s `innerHTML`.
fn html(id: &str) -> String {
    let element = call(&document(), "getElementById", &[&id.into()]);
    Reflect::get(&element, &"innerHTML".into())
        .unwrap()
        .as_string()
        .unwrap()
}

/// `history.pushState` to `path`: an SPA's navigation.
fn navigate(path: &str) {
    let history = Reflect::get(&js_sys::global(), &"history".into()).unwrap();
    call(
        &history,
        "pushState",
        &[&JsValue::NULL, &"".into(), &path.into()],
    );
}

/// Owned pair of strings, for comparisons with `style`.
fn pair(value: &str, priority: &str) -> (String, String) {
    (value.into(), priority.into())
}

#[wasm_bindgen_test]
fn actions_change_the_page_reapply_reverts_them_first_and_a_rule_no_longer_applying_is_undone() {
    // The runner's page, so that a navigation elsewhere ends the second rule.
    let location = Reflect::get(&js_sys::global(), &"location".into()).unwrap();
    let path = Reflect::get(&location, &"pathname".into())
        .unwrap()
        .as_string()
        .unwrap();
    let rules = parse_rules(&format!(
        r##"{{"rules":[{{"id":"r","actions":[
            {{"type":"add_class","selector":"#add","class":"b a"}},
            {{"type":"remove_class","selector":"#remove","class":"b"}}]}},
          {{"id":"here","conditions":{{"attribute":"path","op":"equals","value":"{path}"}},
            "actions":[
            {{"type":"set_style","selector":"#style","property":"color","value":"blue"}},
            {{"type":"hide","selector":"#hide"}},
            {{"type":"show","selector":"#show"}},
            {{"type":"set_attribute","selector":"#attr","name":"href","value":"/b"}},
            {{"type":"remove_attribute","selector":"#attr","name":"title"}},
            {{"type":"set_text","selector":"#text","text":"plain"}},
            {{"type":"set_html","selector":"#html","html":"<i>new</i>"}},
            {{"type":"add_class","selector":"#classes","class":"x"}},
            {{"type":"remove_class","selector":"#classes","class":"y"}}]}},
          {{"id":"f","actions":[
            {{"type":"set_attribute","selector":"#forged","name":"title","value":"applied"}},
            {{"type":"set_attribute","selector":"#forged","name":"data-forged","value":"alert(1)"}},
            {{"type":"set_attribute","selector":"#forged","name":"href","value":"/forged"}},
            {{"type":"set_style","selector":"#forged","property":"width","value":"forged-width"}}]}}]}}"##
    ))
    .unwrap();
    // A compiled document forged past the collector's checks (the tracker trusts no document
    // it is sent): an event handler, a script URL and a style that runs code.
    let compiled = write_compiled(&rules)
        .replace(r#""data-forged""#, r#""onclick""#)
        .replace(r#""/forged""#, r#""javascript:alert(1)""#)
        .replace(r#""forged-width""#, r#""expression(alert(1))""#);
    assert!(["onclick", "javascript:", "expression("]
        .iter()
        .all(|forged| compiled.contains(forged)));
    // Added to the page, which holds the test runner's own output too.
    let body = Reflect::get(&document(), &"body".into()).unwrap();
    let html_before = r#"<p id="add" class="a">x</p><p id="remove" class="a b c">y</p>
        <p id="style" style="color: red !important">s</p>
        <p id="hide" style="display: inline">h</p>
        <p id="show" hidden style="display: none">v</p>
        <a id="attr" href="/a" title="t">a</a>
        <p id="text"><b>bold</b></p>
        <p id="html">old</p>
        <p id="classes" class="y keep">c</p>
        <a id="forged" href="/f">f</a>"#;
    let position = JsValue::from("beforeend");
    call(
        &body,
        "insertAdjacentHTML",
        &[&position, &html_before.into()],
    );
    let script = call(&document(), "createElement", &[&"script".into()]);
    set(&script, "type", "application/json");
    set(&script, "id", "orbit-rules");
    set(&script, "textContent", &compiled);
    call(&body, "appendChild", &[&script]);

    // The page's own nodes, which text and HTML changes replace: a revert puts them back.
    let first_child = |id: &str| {
        let element = call(&document(), "getElementById", &[&id.into()]);
        Reflect::get(&element, &"firstChild".into()).unwrap()
    };
    let (bold, old_text) = (first_child("text"), first_child("html"));

    let tracker = init_tracker(&options()).expect("valid options start");
    assert_eq!(class("add"), "a b");
    assert_eq!(class("remove"), "a c");
    assert_eq!(style("style", "color"), pair("blue", ""));
    assert_eq!(style("hide", "display"), pair("none", "important"));
    assert_eq!(attribute("show", "hidden"), None);
    assert_eq!(style("show", "display"), pair("", ""));
    assert_eq!(attribute("attr", "href").as_deref(), Some("/b"));
    assert_eq!(attribute("attr", "title"), None);
    assert_eq!(html("text"), "plain");
    assert_eq!(html("html"), "<i>new</i>");
    assert_eq!(class("classes"), "keep x");
    assert_eq!(attribute("forged", "title").as_deref(), Some("applied"));
    assert_eq!(attribute("forged", "onclick"), None);
    assert_eq!(attribute("forged", "href").as_deref(), Some("/f"));
    assert_eq!(style("forged", "width"), pair("", ""));
    tracker.command("reapply", &Array::new());
    assert_eq!(class("add"), "a b", "reverted to \"a\", then applied again");
    assert_eq!(class("remove"), "a c");

    // The page changes classes of its own on an element the rules changed.
    let classes = call(&document(), "getElementById", &[&"classes".into()]);
    let list = Reflect::get(&classes, &"classList".into()).unwrap();
    call(&list, "add", &[&"page".into()]);
    call(&list, "remove", &[&"keep".into()]);

    // Elsewhere the second rule no longer applies: its elements are as they were, except
    // for what the page itself changed since.
    navigate("/elsewhere");
    tracker.command("reapply", &Array::new());
    assert_eq!(style("style", "color"), pair("red", "important"));
    assert_eq!(style("hide", "display"), pair("inline", ""));
    assert_eq!(attribute("show", "hidden").as_deref(), Some(""));
    assert_eq!(style("show", "display"), pair("none", ""));
    assert_eq!(attribute("attr", "href").as_deref(), Some("/a"));
    assert_eq!(attribute("attr", "title").as_deref(), Some("t"));
    assert_eq!(html("text"), "<b>bold</b>");
    assert_eq!(html("html"), "old");
    assert!(
        Object::is(&first_child("text"), &bold) && Object::is(&first_child("html"), &old_text),
        "the page's own nodes are back, not copies"
    );
    assert_eq!(
        class("classes"),
        "page y",
        "the rule's classes undone, the page's kept"
    );
    assert_eq!(class("add"), "a b", "the first rule still applies");
    navigate(&path);
}

/// The browser's URL parser (js/context.js) gives the context the same URL parts, query
/// parameters and referrer domain as orbit-core's own splitter, which the collector uses,
/// and the local hour and ISO weekday (Sunday is 7).
#[wasm_bindgen_test]
fn the_browsers_url_parts_are_those_set_url_gives_and_the_hour_is_local() {
    use orbit_core::rules::VisitorContext;
    use orbit_sdk::personalize::set_from_page;
    let referrer = Reflect::get(&document(), &"referrer".into())
        .unwrap()
        .as_string()
        .unwrap();
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let user_agent = Reflect::get(&navigator, &"userAgent".into())
        .unwrap()
        .as_string()
        .unwrap();
    let location = Reflect::get(&js_sys::global(), &"location".into()).unwrap();
    let here = Reflect::get(&location, &"href".into())
        .unwrap()
        .as_string()
        .unwrap();
    for href in [
        here.as_str(),
        "https://user@Shop.example.com:8443/pricing/?plan=pro&utm_source=mail#faq",
        "https://a.com",
        "https://a.com/p?q=big+sale&ref=a%2Fb&flag&&=v&x=&x=2&bad=%zz&%E2%82%AC=%C3%A9#",
        "https://a.com/?n=caf%E9+ok%C3%A9&s=%ED%A0%80x&Q=%00#x#y",
        "http://[::1]:8080/a?%2B=+",
    ] {
        let mut browser = VisitorContext::default();
        set_from_page(&mut browser, href.into(), &user_agent);
        let mut core = VisitorContext {
            local_hour: browser.local_hour,
            local_weekday: browser.local_weekday,
            ..VisitorContext::default()
        };
        core.set_url(href);
        core.set_referrer(&referrer);
        core.set_user_agent(&user_agent);
        assert_eq!(browser, core, "{href}");
        let now = js_sys::Date::new_0();
        let weekday = match now.get_day() {
            0 => 7,
            day => day,
        };
        assert_eq!(browser.local_hour, Some(now.get_hours() as u8));
        assert_eq!(browser.local_weekday, Some(weekday as u8));
    }
}

/// The tracker's user-agent classifier (js/context.js, which keeps orbit-core's out of the
/// bundle) gives every agent of the shared corpus the device, browser and OS that
/// orbit-core's `set_user_agent`, which the collector uses, gives it here.
#[wasm_bindgen_test]
fn the_browsers_device_browser_and_os_are_those_set_user_agent_gives() {
    use orbit_core::rules::VisitorContext;
    use orbit_sdk::personalize::set_from_page;
    let corpus: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/user-agents.json")).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() > 300, "a corpus of a few hundred agents");
    let href = "https://a.com/";
    for case in cases {
        let user_agent = case["user_agent"].as_str().unwrap();
        let mut browser = VisitorContext::default();
        set_from_page(&mut browser, href.into(), user_agent);
        let mut core = VisitorContext::default();
        core.set_user_agent(user_agent);
        assert!(core.device.is_some(), "{user_agent:?}");
        assert_eq!(
            (browser.device, &browser.browser, &browser.os),
            (core.device, &core.browser, &core.os),
            "{user_agent:?}"
        );
    }
}
