// The browser's checks of rules' set_attribute and set_style (js/sanitize.js): the cases of
// orbit_core::rules::url's tests, which the collector's checks pass, and a few more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeOk, styleOk } from './sanitize.js';

test('attributes that run code or load unsafe urls are refused', () => {
  for (const [name, value] of [
    ['onclick', 'x'],
    ['href', 'javascript:alert(1)'],
    ['formaction', 'data:x'],
    ['srcset', 'a.png 1x, javascript:x 2x'],
    ['style', 'color:red'],
    ['srcdoc', '<b>'],
    ['bad name', 'x'],
    // Beyond the Rust cases: a forged document's name need not be lowercase.
    ['ONCLICK', 'x'],
    ['HREF', ' JAVASCRIPT:alert(1)'],
    ['imagesrcset', 'javascript:x'],
    ['xlink:href', 'vbscript:x'],
    ['', 'x'],
    ['1a', 'x'],
  ]) {
    assert.equal(attributeOk(name, value), false, `${name}=${value}`);
  }
  for (const [name, value] of [
    ['href', '/signup?plan=pro'],
    ['data-variant', 'javascript:'],
    ['aria-label', 'Close'],
    ['srcset', 'a.png 1x, https://cdn.com/b.png 2x'],
    ['_x.y:z', 'x'],
  ]) {
    assert.equal(attributeOk(name, value), true, `${name}=${value}`);
  }
});

test('styles that could run code are refused', () => {
  for (const [property, value] of [
    ['color', '#c00'],
    ['--brand', 'rgb(1, 2, 3)'],
    ['background', "url('/img/hero.jpg') no-repeat"],
    ['-webkit-line-clamp', '2'],
    ['color', ''],
  ]) {
    assert.equal(styleOk(property, value), true, `${property}: ${value}`);
  }
  for (const [property, value] of [
    ['width', 'expression(alert(1))'],
    ['background', 'url(javascript:alert(1))'],
    ['background', 'url( "JAVASCRIPT:alert(1)" )'],
    ['width', 'expr/**/ession(alert(1))'],
    ['width', 'expr\\65 ssion(alert(1))'],
    ['behavior', 'url(x.htc)'],
    ['color', 'red; background: url(x)'],
    ['color', 'red</style><script>'],
    ['co lor', 'red'],
    ['background', 'url(data:image/svg+xml,x)'],
    // Beyond the Rust cases.
    ['-MOZ-BINDING', 'x'],
    ['width', 'EXPRESSION(alert(1))'],
    ['background', 'url(/ok.png), URL(javascript:x)'],
    ['background', 'url(/unclosed.png'],
    ['color', 'red\n'],
    ['x', '@import "a.css"'],
    ['--', 'x'],
    ['--a b', 'x'],
  ]) {
    assert.equal(styleOk(property, value), false, `${property}: ${value}`);
  }
});
