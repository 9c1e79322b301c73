//! Personalisation in the browser: the site's rule document (inline in the page, cached
//! from the last visit, or fetched from the collector) is evaluated by `orbit-core`'s
//! engine against what the tracker knows about the visitor, and its actions are applied to
//! the page before the slots hidden by the anti-flicker snippet are revealed.
//!
//! Every change is recorded with what it replaced, so SPA navigation (or
//! `orbit('reapply')`) reverts what no longer applies. One MutationObserver applies the rules
//! to elements that appear later and re-applies changes the page undid, with a circuit
//! breaker: an element patched more than [`MAX_PATCHES_PER_SECOND`] times in a second means
//! the page fights back, and patching stops with one console warning, until an SPA
//! navigation or `orbit('reapply')` tries again. Each change, once
//! rendered, is reported: `Experiment Viewed` once per visitor, experiment and variant
//! (controls included) and `Personalization Applied` once per rule and page view.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use orbit_core::enrich::ua::DeviceType;
use orbit_core::json::read::{read_json, Json};
use orbit_core::json::JsonWriter;
use orbit_core::limits::MAX_DEPTH;
use orbit_core::rules::{
    read_compiled, Action, CompiledError, EvalOptions, Evaluation, Experiment, Host, Rule,
    RuleEngine, Variant, VisitorContext,
};
use orbit_core::tracker::session::{arrival_key, campaign_from_key};
use wasm_bindgen::JsValue;

use crate::profile::{self, Profile};
use crate::web::dom;
use crate::{now_u64, web, Mode, Shared, State};

/// localStorage key of the last rule document the collector sent: the site it is for, a line
/// break, and the document (sites on one origin share the key).
pub const RULES_CACHE_KEY: &str = "orbit_rules";
/// localStorage key of that document's ETag, sent back as `If-None-Match`.
pub const RULES_ETAG_KEY: &str = "orbit_rules_etag";
/// localStorage key of the visitor's experiment variants (`experiment:variant|…`).
pub const ASSIGNMENTS_KEY: &str = "orbit_exp";
/// localStorage key of the exposures already sent (`experiment:variant|…`).
pub const EXPOSED_KEY: &str = "orbit_exposed";
/// sessionStorage key set before a redirect, so the page it leads to does not redirect again.
pub const REDIRECTED_KEY: &str = "orbit_redirected";
/// Id of the page's inline rule document, `<script type="application/json" id="orbit-rules">`.
pub const INLINE_RULES_ID: &str = "orbit-rules";
/// Id of the anti-flicker snippet's `<style>`; removing it reveals every slot.
pub const HIDE_STYLE_ID: &str = "orbit-hide";
/// [`INLINE_RULES_ID`] and [`HIDE_STYLE_ID`] as selectors.
const INLINE_RULES_SELECTOR: &str = "#orbit-rules";
const HIDE_STYLE_SELECTOR: &str = "#orbit-hide";
/// Attribute set on each `data-orbit-slot` element once its decision is made.
pub const SLOT_SHOWN_ATTRIBUTE: &str = "data-orbit-shown";
/// Most times one element is changed in a second before the page counts as fighting back.
pub const MAX_PATCHES_PER_SECOND: u32 = 10;
/// Event sent when a visitor first sees an experiment's variant.
pub const EXPERIMENT_VIEWED: &str = "Experiment Viewed";
/// Event sent when a rule without an experiment changed the page.
pub const PERSONALIZATION_APPLIED: &str = "Personalization Applied";
/// The `experiment_id` of the site-wide holdout's `Experiment Viewed`.
pub const HOLDOUT_EXPERIMENT: &str = "holdout";

/// Regular expressions for the rule engine: the browser's own `RegExp` (a regex crate
/// would cost ~27 KB gzip).
pub struct JsHost;

impl Host for JsHost {
    /// A `RegExp`, kept as a plain value: its one method is called through `web::call`, with
    /// no binding (or `instanceof` check) of its own in the glue.
    type Regex = JsValue;

    fn compile_regex(&self, pattern: &str, ignore_case: bool) -> Option<JsValue> {
        // `RegExp(pattern, flags)` called as a function makes a new RegExp; `web::call` turns
        // the SyntaxError of a bad pattern into `undefined`, which is no RegExp (a RegExp is
        // truthy: `is_falsy` is a check the bundle has anyway).
        // `window.window` through the shared reader: no `Option` of its own here (without a
        // window it reads `undefined`, and the call fails soft).
        let window = web::global("window");
        let flags = if ignore_case { "i" } else { "" };
        let args = [&JsValue::from_str(pattern), &JsValue::from_str(flags)];
        let regex = web::call(&window, "RegExp", &args);
        (!regex.is_falsy()).then_some(regex)
    }

    fn regex_is_match(&self, regex: &JsValue, text: &str) -> bool {
        web::call(regex, "test", &[&JsValue::from_str(text)]).is_truthy()
    }

    /// `Date#toISOString`, which the tracker has anyway: no calendar code in the bundle. The
    /// same text for every date a document can hold (years 0000–9999).
    fn push_date(&self, out: &mut String, unix_ms: i64) {
        // Beyond ±8.64e15 ms a `Date` is invalid and `toISOString` throws.
        if unix_ms.unsigned_abs() <= 8_640_000_000_000_000 {
            out.push_str(&web::iso_time(unix_ms));
        }
    }
}

/// Personalisation state for the page's lifetime.
pub(crate) struct Personalization {
    engine: Option<RuleEngine<JsHost>>,
    /// What the current page view's evaluation asks for.
    plan: Vec<Planned>,
    /// The changes made, with what they replaced, and the circuit breaker's counts: kept by
    /// js/personalize.js (`dom::changes`), set by [`start`].
    changes: JsValue,
    /// Experiment variants, `experiment:variant|…` as stored, for stickiness: decoded into
    /// each evaluation's context, so kept in one form only.
    assignments: String,
    /// Experiment exposures sent, `experiment:variant|…` as stored (kept for good).
    exposed: String,
    /// The page fought back: no more patching until the next view or `reapply`.
    stopped: bool,
    observer: Option<JsValue>,
    /// Whether slots were revealed (after which late rules wait for the next page view), or
    /// are left hidden because a redirect leaves the page.
    revealed: bool,
    /// Whether the page had the anti-flicker snippet's style when the tracker started: once
    /// its timer removed it, the slots are shown, and late rules wait too.
    snippet: bool,
    /// The collector's lead score and segments for this visitor.
    pub(crate) profile: Profile,
    /// Whether the document tests the profile, and whether it was asked for on this page.
    profile_wanted: bool,
    profile_requested: bool,
}

impl Default for Personalization {
    /// A copy of one constant rather than a store per field (a smaller bundle).
    fn default() -> Self {
        const NONE: Personalization = Personalization {
            engine: None,
            plan: Vec::new(),
            changes: JsValue::UNDEFINED,
            assignments: String::new(),
            exposed: String::new(),
            stopped: false,
            observer: None,
            revealed: false,
            snippet: false,
            profile: Profile {
                segments: None,
                lead_score: None,
            },
            profile_wanted: false,
            profile_requested: false,
        };
        NONE
    }
}

impl Personalization {
    /// Whether the rule document's `capture` list names this form field.
    pub(crate) fn captures(&self, field: &str) -> bool {
        self.engine
            .as_ref()
            .is_some_and(|e| e.rules().capture().iter().any(|c| c == field))
    }
}

/// One action of the current evaluation, by position in the engine's document (the plan is
/// rebuilt whenever the document changes).
struct Planned {
    /// Index of the rule in the document.
    rule: usize,
    /// Index of the variant in the rule's experiment, for an experiment's rule.
    variant: Option<usize>,
    /// Index in the rule's (or variant's) actions; `None` for a control.
    action: Option<usize>,
    /// Whether its change is on some element, or for a control whether another variant's
    /// would be (as of the last `reconcile`).
    on_page: bool,
    /// Whether its change reached the page (and was reported).
    reported: bool,
    /// Whether rendering it counts as an exposure (not a preview).
    exposure: bool,
    /// Whether its rule's `Personalization Applied` was sent from it (once per rule and page
    /// view: the plan is rebuilt for each).
    sent: bool,
}

/// Loads the rule document (inline, then cached), applies it, reveals the slots, installs
/// the observer, and fetches the collector's current document in the background.
pub(crate) fn start(shared: &Rc<Shared>) {
    let inline = dom::query(INLINE_RULES_SELECTOR).map(|e| dom::text(&e));
    let cached = {
        let mut state = shared.state.borrow_mut();
        let personal = &mut state.personal;
        personal.changes = dom::changes().unwrap_or_default();
        personal.snippet = dom::query(HIDE_STYLE_SELECTOR).is_some();
        personal.assignments = web::storage::local_get(ASSIGNMENTS_KEY).unwrap_or_default();
        personal.exposed = web::storage::local_get(EXPOSED_KEY).unwrap_or_default();
        if state.mode == Mode::Tracking {
            // Only this site's document: another site's on the same origin is not applied.
            web::storage::owned(RULES_CACHE_KEY, &state.config.site)
        } else {
            None
        }
    };
    let had_rules = match (inline, cached) {
        (Some(text), _) => load(shared, &text, true),
        (None, cached) => {
            let loaded = cached.is_some_and(|text| load(shared, &text, false));
            if !loaded {
                // Without its document, the ETag would get a 304 and never the document.
                web::storage::local_remove(RULES_ETAG_KEY);
            }
            loaded
        }
    };
    if had_rules {
        evaluate_and_apply(shared);
    }
    let state = shared.state.borrow();
    let reveal_now = !state.personal.revealed && (had_rules || state.mode != Mode::Tracking);
    drop(state);
    if reveal_now {
        reveal(shared);
    }
    observe(shared);
    fetch_rules(shared);
    fetch_profile(shared);
}

/// Reads a compiled document and compiles its regexes; a bad one is ignored, and reported
/// once when `warn` (a cache an older tracker wrote is replaced by the fetch that follows).
fn load(shared: &Rc<Shared>, text: &str, warn: bool) -> bool {
    match read_compiled(text) {
        Ok(rules) => {
            let wants_profile = rules.tests_profile();
            let mut state = shared.state.borrow_mut();
            // Only ever loaded while there is no engine (a fetched document is loaded only
            // when none was): forgotten rather than dropped, which keeps the document's drop
            // code out of the bundle.
            let engine = RuleEngine::new(rules, JsHost);
            core::mem::forget(state.personal.engine.replace(engine));
            // The plan points into the previous document (the caller plans again).
            state.personal.plan.clear();
            if wants_profile && !state.personal.profile_wanted {
                state.personal.profile_wanted = true;
                // Until now the profile was the empty default.
                if state.mode == Mode::Tracking {
                    if let Some(cached) = profile::cached(&state.anonymous_id) {
                        state.personal.profile = cached;
                    }
                }
            }
            true
        }
        Err(error) => {
            if warn {
                // Whole sentences: no text built at run time (`format!` would pull
                // `core::fmt` into the bundle, and gzip finds the repeated parts).
                web::console::warn(match error {
                    CompiledError::Source => {
                        "the rule document was ignored: it is not compiled; compile it with \
                         `orbit-collector rules compile FILE` (README: Rules)"
                    }
                    CompiledError::Version => {
                        "the rule document was ignored: it was compiled for another tracker \
                         version; compile it with `orbit-collector rules compile FILE` (README: \
                         Rules)"
                    }
                    CompiledError::Invalid => {
                        "the rule document was ignored: it is not a compiled document, or \
                         damaged; compile it with `orbit-collector rules compile FILE` (README: \
                         Rules)"
                    }
                });
            }
            false
        }
    }
}

/// Where the production bundle stops explaining: which condition was false, and with what
/// value, takes the debug build (feature `explain`).
#[cfg(not(feature = "explain"))]
const EXPLAIN_HINT: &str =
    "which condition was false, with the visitor's value: load orbit-debug.js in place of orbit.js";

/// `orbit('debug', true)`: explains, in the console, why each rule of the current page view
/// applies or not (the first evaluation ran before the page's queued calls).
pub(crate) fn explain(shared: &Rc<Shared>) {
    let state = shared.state.borrow();
    if let Some(engine) = state.personal.engine.as_ref() {
        evaluate(engine, &visitor_context(&state), true);
    }
}

/// Evaluates the rules for this page view (`?orbit_preview=RULE` forces a rule), logging
/// why each rule applies or not when `debug`.
fn evaluate<'e>(
    engine: &'e RuleEngine<JsHost>,
    ctx: &VisitorContext,
    debug: bool,
) -> Evaluation<'e> {
    let preview = web::page::query_param("orbit_preview");
    let options = EvalOptions {
        preview: preview.as_deref(),
        debug,
    };
    let evaluation = engine.evaluate(ctx, &options);
    if preview.is_some() && !evaluation.forced() {
        web::console::warn(
            "?orbit_preview= names no rule, experiment or variant of this page's rules: nothing \
             was forced",
        );
    }
    for trace in &evaluation.trace {
        web::console::note(&trace.detail);
    }
    #[cfg(not(feature = "explain"))]
    if evaluation
        .trace
        .iter()
        .any(|t| t.outcome == orbit_core::rules::Outcome::ConditionsFalse)
    {
        web::console::note(EXPLAIN_HINT);
    }
    evaluation
}

/// `orbit('reapply')` and SPA navigation: evaluates again, reverting what no longer applies.
pub(crate) fn reapply(shared: &Rc<Shared>) {
    let mut state = shared.state.borrow_mut();
    // A new view (or the page asking) gets another chance after a fight.
    state.personal.stopped = false;
    if state.personal.engine.is_some() {
        drop(state);
        evaluate_and_apply(shared);
    }
}

/// SPA navigation: evaluates again for the new view, and asks for the visitor's profile
/// again (a long-lived SPA would otherwise keep the profile of its first load).
pub(crate) fn navigated(shared: &Rc<Shared>) {
    reapply(shared);
    shared.state.borrow_mut().personal.profile_requested = false;
    fetch_profile(shared);
}

fn evaluate_and_apply(shared: &Rc<Shared>) {
    let mut redirect = None;
    let mut holdout_event = None;
    {
        let mut guard = shared.state.borrow_mut();
        let state = &mut *guard;
        revert_all(&mut state.personal);
        let Some(engine) = state.personal.engine.as_ref() else {
            return;
        };
        let mut ctx = visitor_context(state);
        let evaluation = evaluate(engine, &ctx, state.debug);
        // A preview (a forced rule) is QA, not an exposure: the holdout's neither, since
        // a forced change is seen even by a visitor in the holdout.
        if engine.rules().holdout().is_some() && !evaluation.forced() {
            let variation = if evaluation.holdout {
                "holdout"
            } else {
                "personalized"
            };
            holdout_event = Some(variation);
        }
        let mut plan = Vec::new();
        let rules = engine.rules().rules();
        for decision in evaluation.decisions.iter().rev() {
            let rule = index_in(rules, decision.rule);
            let variant = decision
                .assignment
                .as_ref()
                .map(|a| index_in(a.experiment.variants(), a.variant));
            let exposure = decision
                .assignment
                .as_ref()
                .map_or(!decision.forced, |a| a.exposure);
            // A control (no actions) is planned once, with no action: nothing to render,
            // seen as it is.
            for i in 0..decision.actions.len().max(1) {
                plan.push(Planned {
                    rule,
                    variant,
                    action: (i < decision.actions.len()).then_some(i),
                    on_page: false,
                    reported: false,
                    exposure,
                    sent: false,
                });
            }
        }
        if let Some((_, Action::Redirect { url, keep_query })) = evaluation.redirect() {
            redirect = Some((url.clone(), *keep_query));
        }
        // The context's `experiments` are the stored assignments, decoded: updated there.
        let mut changed = false;
        for (experiment, variant) in evaluation.new_assignments() {
            let assignments = &mut ctx.experiments;
            match assignments.iter_mut().find(|(e, _)| e == experiment) {
                Some((_, old)) => *old = variant.into(),
                None => assignments.push((experiment.into(), variant.into())),
            }
            changed = true;
        }
        state.personal.plan = plan;
        if changed {
            state.personal.assignments = encode_pairs(&ctx.experiments);
            if state.mode == Mode::Tracking {
                web::storage::local_set(ASSIGNMENTS_KEY, &state.personal.assignments);
            }
        }
    }
    if let Some(variation) = holdout_event {
        report(shared, Some(variation), 0);
    }
    if let Some((url, keep_query)) = redirect {
        if try_redirect(shared, &url, keep_query) {
            return;
        }
    }
    reconcile(shared);
}

/// Follows a redirect rule unless the loop guard refuses; true when leaving the page.
fn try_redirect(shared: &Rc<Shared>, url: &str, keep_query: bool) -> bool {
    let current = web::page::href();
    let already = web::storage::session_get(REDIRECTED_KEY).is_some_and(|t| t == current);
    let target = web::page::redirect_target(url, keep_query)
        .as_string()
        .unwrap_or_default();
    if already || target.is_empty() {
        if shared.state.borrow().debug {
            web::console::debug(
                "redirect refused by the loop guard",
                &JsValue::from_str(url),
            );
        }
        return false;
    }
    web::storage::session_set(REDIRECTED_KEY, &target);
    // Leaving: the slots stay hidden (no flash of the page the visitor is sent away from).
    shared.state.borrow_mut().personal.revealed = true;
    report_rendered(shared, true);
    crate::deliver_now(shared);
    dom::replace_location(&target);
    true
}

/// Applies every planned action to the elements that match it now, re-applying changes the
/// page undid (within the circuit breaker), then reports what newly reached the page.
fn reconcile(shared: &Rc<Shared>) {
    let mut fought = false;
    {
        let mut guard = shared.state.borrow_mut();
        let Personalization {
            engine,
            plan,
            changes,
            stopped,
            observer,
            ..
        } = &mut guard.personal;
        if *stopped {
            return;
        }
        for (index, planned) in plan.iter_mut().enumerate() {
            let Some((_, variant, action)) = resolve(engine.as_ref(), planned) else {
                continue;
            };
            let Some(action) = action else {
                // A control is seen where a variant would have changed the page: one of its
                // actions matches an element, or is a redirect (as a variant's exposure is
                // counted, so both arms are counted on the same pages).
                planned.on_page = variant.is_none_or(|(experiment, _)| {
                    experiment.variants().iter().any(|v| {
                        v.actions()
                            .iter()
                            .any(|a| a.selector().is_none_or(|s| dom::query(s).is_some()))
                    })
                });
                continue;
            };
            match apply(changes, index, action) {
                2 => {
                    fought = true;
                    break;
                }
                on => planned.on_page = on == 1,
            }
        }
        // Stopped, the observer stays: `changed` ignores it until a new view re-arms.
        *stopped = fought;
        if let Some(observer) = observer.as_ref() {
            // Our own changes are not news.
            web::call(observer, "takeRecords", &[]);
        }
    }
    if fought {
        web::console::warn(
            "personalisation stopped: the page keeps undoing a change (more than 10 times a \
             second); check for scripts that re-render the personalised elements",
        );
    }
    // Changes once they reached an element; controls where a variant's would have.
    report_rendered(shared, false);
}

/// Sends the exposures not reported yet of the planned actions that reached the page: the
/// redirect when `redirecting`, else the controls and the changes applied to an element.
fn report_rendered(shared: &Rc<Shared>, redirecting: bool) {
    // One exposure at a time, each sent before the next is looked for (no list of them).
    let mut next = 0;
    loop {
        let found = {
            let mut state = shared.state.borrow_mut();
            let Personalization { engine, plan, .. } = &mut state.personal;
            let mut found = None;
            for (index, planned) in plan.iter_mut().enumerate().skip(next) {
                let Some((_, _, action)) = resolve(engine.as_ref(), planned) else {
                    continue;
                };
                let rendered = match action {
                    Some(Action::Redirect { .. }) => redirecting,
                    _ => !redirecting && planned.on_page,
                };
                if rendered && !planned.reported {
                    planned.reported = true;
                    if planned.exposure {
                        found = Some(index);
                        break;
                    }
                }
            }
            found
        };
        let Some(index) = found else {
            return;
        };
        report(shared, None, index);
        next = index + 1;
    }
}

/// The index of `item`, which is an element of `items`, from the addresses (a search would
/// compare every element; `resolve` checks the index anyway).
fn index_in<T>(items: &[T], item: &T) -> usize {
    let offset = (item as *const T as usize).wrapping_sub(items.as_ptr() as usize);
    offset / core::mem::size_of::<T>().max(1)
}

/// A planned change's rule, experiment variant and action (`None` for a control).
type Resolved<'e> = (
    &'e Rule,
    Option<(&'e Experiment, &'e Variant)>,
    Option<&'e Action>,
);

/// What a planned change refers to in the engine's document.
fn resolve<'e>(engine: Option<&'e RuleEngine<JsHost>>, planned: &Planned) -> Option<Resolved<'e>> {
    let rule = engine?.rules().rules().get(planned.rule)?;
    let variant = match planned.variant {
        Some(i) => {
            let experiment = rule.experiment()?;
            Some((experiment, experiment.variants().get(i)?))
        }
        None => None,
    };
    let actions = match variant {
        Some((_, v)) => v.actions(),
        None => rule.actions(),
    };
    let action = match planned.action {
        Some(i) => Some(actions.get(i)?),
        None => None,
    };
    Some((rule, variant, action))
}

/// `Experiment Viewed` of the holdout's `variation`, or of the experiment of the planned
/// change `index` (once per visitor, experiment and variant), or else `Personalization
/// Applied` of its rule (once per rule and page view).
fn report(shared: &Rc<Shared>, holdout: Option<&str>, index: usize) {
    let (experiment, properties) = {
        let mut guard = shared.state.borrow_mut();
        let state = &mut *guard;
        let Personalization {
            engine,
            plan,
            exposed,
            ..
        } = &mut state.personal;
        let (experiment, rule_id) = match holdout {
            Some(variation) => (Some((HOLDOUT_EXPERIMENT, variation)), None),
            None => {
                let Some((rule, variant, _)) =
                    plan.get(index).and_then(|p| resolve(engine.as_ref(), p))
                else {
                    return;
                };
                (variant.map(|(e, v)| (e.id(), v.id())), Some(rule.id()))
            }
        };
        if state.mode == Mode::Off {
            return;
        }
        match experiment {
            Some((experiment, variant)) => {
                let mut key = String::from(experiment);
                key.push(':');
                key.push_str(variant);
                if orbit_core::text::split(exposed, b'|').any(|e| e == key) {
                    return;
                }
                push_item(exposed, &key, '|');
            }
            None => {
                let Some(rule) = plan.get(index).map(|p| p.rule) else {
                    return;
                };
                if plan.iter().any(|p| p.rule == rule && p.sent) {
                    return;
                }
                if let Some(planned) = plan.get_mut(index) {
                    planned.sent = true;
                }
            }
        }
        let mut w = JsonWriter::new();
        w.begin_object();
        if let Some((experiment, variant)) = experiment {
            if state.mode == Mode::Tracking {
                web::storage::local_set(EXPOSED_KEY, exposed);
            }
            w.string_member("experiment_id", experiment)
                .string_member("variation_id", variant);
        }
        if let Some(rule_id) = rule_id {
            w.string_member("rule_id", rule_id);
        }
        // The document's revision, read where it is kept (the engine's document).
        let revision = engine.as_ref().and_then(|e| e.rules().revision());
        w.string_member("revision", revision.unwrap_or(""))
            .end_object();
        (experiment.is_some(), w.finish())
    };
    let event = if experiment {
        EXPERIMENT_VIEWED
    } else {
        PERSONALIZATION_APPLIED
    };
    crate::track_event(shared, event, &properties);
}

/// Puts every changed element back, newest change first.
fn revert_all(personal: &mut Personalization) {
    let _ = dom::restore_all(&personal.changes);
    personal.plan.clear();
}

/// Makes the planned change `plan`, `action`, on the elements its selector matches (js/
/// personalize.js does the DOM work): [`dom::apply`]'s answer, 0 for an action without a
/// selector. The kinds are numbered in the order of [`Action`]'s variants; `a` names what
/// the change touches (attribute, `class`, style property, insert position). Out of line:
/// inlined into `reconcile` it made the bundle larger.
#[inline(never)]
fn apply(changes: &JsValue, plan: usize, action: &Action) -> u32 {
    let mut classes = String::new();
    let (kind, a, b, c) = match action {
        Action::SetText { text, .. } => (0, "", text.as_str(), ""),
        Action::SetHtml { html, .. } => (1, "", html.as_str(), ""),
        Action::SetAttribute { name, value, .. } => (2, name.as_str(), value.as_str(), ""),
        Action::RemoveAttribute { name, .. } => (3, name.as_str(), "", ""),
        Action::AddClass { classes: list, .. } | Action::RemoveClass { classes: list, .. } => {
            for class in list {
                push_item(&mut classes, class, ' ');
            }
            let kind = if matches!(action, Action::AddClass { .. }) {
                4
            } else {
                5
            };
            (kind, "class", classes.as_str(), "")
        }
        Action::SetStyle {
            property,
            value,
            important,
            ..
        } => {
            let priority = if *important { "important" } else { "" };
            (6, property.as_str(), value.as_str(), priority)
        }
        Action::Show { .. } => (7, "", "", ""),
        Action::Hide { .. } => (8, "", "", ""),
        Action::Insert { position, html, .. } => (9, position.dom_position(), html.as_str(), ""),
        // Not an element's change: no selector.
        Action::Redirect { .. } => return 0,
    };
    let selector = action.selector().unwrap_or_default();
    dom::apply(changes, plan as u32, selector, kind, a, b, c)
}

/// Marks every slot as decided and removes the anti-flicker style.
fn reveal(shared: &Rc<Shared>) {
    shared.state.borrow_mut().personal.revealed = true;
    dom::reveal(
        "[data-orbit-slot]",
        SLOT_SHOWN_ATTRIBUTE,
        HIDE_STYLE_SELECTOR,
    );
}

/// One observer for the page's lifetime: new or changed elements get the rules too.
fn observe(shared: &Rc<Shared>) {
    let callback = crate::callback(shared, changed);
    let observer = dom::observe_document(callback.as_ref())
        .ok()
        .filter(|o| !o.is_undefined());
    shared.state.borrow_mut().personal.observer = observer;
    shared.listeners.borrow_mut().push(callback);
}

/// The document changed: the rules again, unless they stopped or there are none.
fn changed(shared: &Rc<Shared>) {
    let active = {
        let state = shared.state.borrow();
        !state.personal.stopped && !state.personal.plan.is_empty()
    };
    if active {
        reconcile(shared);
    }
}

/// Fetches the collector's current document (`If-None-Match` the cached one): stored for
/// the next page view, and applied now while the slots are still hidden.
fn fetch_rules(shared: &Rc<Shared>) {
    let url = {
        let state = shared.state.borrow();
        if state.mode != Mode::Tracking {
            return;
        }
        let config = &state.config;
        profile::site_url(
            &config.endpoint,
            &config.site,
            "/rules.json?key=",
            &config.write_key,
        )
    };
    fetch(shared, &url, RULES_ETAG_KEY, "", rules_fetched);
}

/// GETs `url` (`If-None-Match` the ETag stored under `etag_key`, unless empty) and hands the
/// answer to `then` while the tracker exists: a listener of the tracker's one closure type,
/// owned by JavaScript and freed once called and collected.
fn fetch(
    shared: &Rc<Shared>,
    url: &str,
    etag_key: &str,
    tag: &str,
    then: fn(&Rc<Shared>, &JsValue),
) {
    let done = crate::event_callback(Rc::downgrade(shared), then).into_js_value();
    web::transport::get_text(url, etag_key, &done, tag);
}

/// The collector's document: stored for the next page view, and applied now while the slots
/// are still hidden; then the slots are revealed.
fn rules_fetched(shared: &Rc<Shared>, answer: &JsValue) {
    if let Some((body, etag)) = web::transport::answer(answer) {
        web::storage::store_owned(RULES_CACHE_KEY, &shared.state.borrow().config.site, &body);
        if let Some(etag) = etag {
            web::storage::local_set(RULES_ETAG_KEY, &etag);
        }
        let hidden = {
            let personal = &shared.state.borrow().personal;
            // Not once the snippet's own timer showed the slots: that would be flicker.
            !personal.revealed && (!personal.snippet || dom::query(HIDE_STYLE_SELECTOR).is_some())
        };
        if hidden && load(shared, &body, true) {
            evaluate_and_apply(shared);
            fetch_profile(shared);
        }
    }
    if !shared.state.borrow().personal.revealed {
        reveal(shared);
    }
}

/// Fetches the visitor's profile when the document tests it (once per page load or SPA view,
/// `If-None-Match` the cached one): kept for the next page views, and applied now if the
/// slots are still hidden.
fn fetch_profile(shared: &Rc<Shared>) {
    let mut state = shared.state.borrow_mut();
    let personal = &state.personal;
    if !personal.profile_wanted || personal.profile_requested || state.mode != Mode::Tracking {
        return;
    }
    state.personal.profile_requested = true;
    let config = &state.config;
    let id = &state.anonymous_id;
    let url = profile::url(&config.endpoint, &config.site, &config.write_key, id);
    // An ETag only revalidates a cached profile of this same visitor.
    let etag_key = match profile::cached(id) {
        Some(_) => profile::PROFILE_ETAG_KEY,
        None => "",
    };
    // The answer comes in a later task, when the state is free again.
    fetch(shared, &url, etag_key, id, profile_fetched);
}

/// The collector's profile of the visitor it was asked for (the answer's tag): kept for the
/// next page views, and applied now if the slots are still hidden.
fn profile_fetched(shared: &Rc<Shared>, answer: &JsValue) {
    let Some((body, etag)) = web::transport::answer(answer) else {
        return;
    };
    let Some(fresh) = Profile::decode(&body) else {
        return;
    };
    let hidden = {
        let mut state = shared.state.borrow_mut();
        if !web::transport::answer_tagged(answer, &state.anonymous_id) {
            return; // orbit('reset') since: this was the previous visitor's
        }
        profile::store(&state.anonymous_id, &body, etag.as_deref());
        if state.debug {
            // The body as JavaScript holds it: no copy back.
            web::console::debug("profile from the collector", &web::prop(answer, "0"));
        }
        state.personal.profile = fresh;
        !state.personal.revealed && state.personal.engine.is_some()
    };
    if hidden {
        evaluate_and_apply(shared);
    }
}

/// Everything the rules can test about this visitor on this page view.
fn visitor_context(state: &State) -> VisitorContext {
    let now = now_u64();
    // Without a stored visitor id (Do Not Track, cookieless) a variant could not stay the
    // same across page views, so such visitors are in no experiment and not in the holdout.
    let has_id = matches!(state.mode, Mode::Tracking | Mode::AwaitingConsent);
    let mut ctx = VisitorContext::default();
    if has_id {
        ctx.visitor_id = state.anonymous_id.clone();
    }
    ctx.now_ms = Some(now as i64);
    if !state.page.locale.is_empty() {
        ctx.language = Some(state.page.locale.clone());
    }
    ctx.identified = Some(state.user_id.is_some());
    ctx.experiments = decode_pairs(&state.personal.assignments);
    set_from_page(&mut ctx, web::page::href(), &state.page.user_agent);
    if let Some(session) = state.session.as_ref() {
        // The page's own tags as a campaign key, read back like the stored one: the key
        // writer is in the bundle anyway, `parse_campaign` would be a second decoder.
        if let Some(campaign) = session
            .campaign_key
            .as_deref()
            .and_then(campaign_from_key)
            .or_else(|| {
                let href = ctx.url.as_deref().unwrap_or_default();
                arrival_key(href).as_deref().and_then(campaign_from_key)
            })
        {
            ctx.campaign = campaign;
        }
        if let Some(first) = session
            .first_campaign
            .as_deref()
            .and_then(campaign_from_key)
        {
            ctx.first_touch = first;
        }
        ctx.landing_page = session.landing_page.clone();
        ctx.returning = Some(session.session_count > 1);
        ctx.visit_count = Some(session.session_count);
        ctx.session_page_views = Some(session.page_views);
        ctx.seconds_on_site = Some(now.saturating_sub(session.started_ms) / 1000);
    }
    let counts = &state.form_counts;
    ctx.forms_started = Some(counts.started);
    ctx.forms_submitted = Some(counts.submitted);
    ctx.forms_submitted_ids = Some(copy(&counts.submitted_ids));
    ctx.segments = state.personal.profile.segments.as_deref().map(copy);
    ctx.lead_score = state.personal.profile.lead_score;
    if let Some(traits) = state.traits.as_deref() {
        // The stored object (what `JSON.stringify` gave `identify`) read with the bundle's
        // own JSON reader, not a `JSON.parse`/`JSON.stringify` round trip per member; a
        // member may nest as deeply as an attribute. Its members are the traits as they are.
        let json = read_json(traits, traits.len(), MAX_DEPTH + 1);
        if let Ok(Json::Object(members)) = json {
            ctx.traits = members;
        }
    }
    for (key, json) in &state.attributes {
        if let Ok(json) = read_json(json, orbit_core::limits::MAX_EVENT_BYTES, MAX_DEPTH) {
            ctx.custom.push((key.clone(), json));
        }
    }
    ctx
}

/// Sets what the browser reads best of the page: `url` (the page's `href`) and the parts of
/// it rules test (`host`, `path`, `hash`, `query`), `referrer` and `referrer_domain`, as
/// `set_url(href)` and `set_referrer(document.referrer)` would, the `device`, `browser` and
/// `os` of `user_agent`, as `set_user_agent` would, and the local hour and weekday. The
/// browser parses the URLs and classifies the user agent (js/context.js), so the bundle
/// carries neither a URL splitter nor orbit-core's user-agent tables. Inlined into
/// `visitor_context`, its one caller in the bundle, where the fields it sets are known to be
/// empty, so their drops go.
#[inline(always)]
pub fn set_from_page(ctx: &mut VisitorContext, href: String, user_agent: &str) {
    /// `DeviceType` by the index js/context.js gives.
    const DEVICES: [DeviceType; 5] = [
        DeviceType::Desktop,
        DeviceType::Mobile,
        DeviceType::Tablet,
        DeviceType::Bot,
        DeviceType::Unknown,
    ];
    let parts = web::page::page_context(&href, user_agent);
    let part = |i| parts.get(i).as_string();
    let number = |i| Some(parts.get(i).as_f64().unwrap_or_default() as u8);
    ctx.local_hour = number(0);
    ctx.local_weekday = number(1);
    ctx.device = number(2).and_then(|i| DEVICES.get(usize::from(i)).copied());
    ctx.browser = part(3);
    ctx.os = part(4);
    ctx.host = part(5);
    ctx.path = part(6);
    ctx.hash = part(7);
    ctx.referrer = part(8);
    ctx.referrer_domain = part(9);
    let mut i = 10;
    while let Some(name) = part(i) {
        ctx.query.push((name, part(i + 1).unwrap_or_default()));
        i += 2;
    }
    ctx.url = Some(href);
}

/// A copy of a list, by a loop (as for the experiments: `Vec::clone` is generic code).
fn copy(list: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for item in list {
        out.push(item.clone());
    }
    out
}

/// `experiment:variant|…` as pairs (an item without `:` is skipped).
fn decode_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for pair in orbit_core::text::split(text, b'|') {
        if let Some((experiment, variant)) = orbit_core::text::split_once(pair, b':') {
            pairs.push((String::from(experiment), String::from(variant)));
        }
    }
    pairs
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (experiment, variant) in pairs {
        push_item(&mut out, experiment, '|');
        out.push(':');
        out.push_str(variant);
    }
    out
}

/// Appends `item` to a list of non-empty items with `separator` between them
/// (`[&str]::join` is generic code, ~1 KB a use).
fn push_item(list: &mut String, item: &str, separator: char) {
    if !list.is_empty() {
        list.push(separator);
    }
    list.push_str(item);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_browsers_circuit_breaker_has_the_same_limit() {
        let js = include_str!("../js/personalize.js");
        let line = format!(
            "const MAX_PATCHES_PER_SECOND = {};\n",
            super::MAX_PATCHES_PER_SECOND
        );
        assert!(js.contains(&line), "personalize.js should hold {line}");
    }
}
