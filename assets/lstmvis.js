/* LSTMVis-Dash: the page's shared clientside helpers (no server round trip).
 * - LV.setProps(id, data): write a store (dash_clientside.set_props), which fires the page callback;
 * - the navigation channel: a click on any element with data-lv-nav-start/-stop (a search hit, a
 *   comparison row) asks the page to show that range (the store named by the page's data-lv-navigate);
 * - PNG / SVG export of a figure (buttons with data-lv-export = the graph's id);
 * - rewriting a non-canonical address in place (history.replaceState, no new history entry).
 * No component id is written here: ids come from data attributes that the Python layouts set.
 */
(function () {
    'use strict';
    var LV = window.LV = window.LV || {};
    var DTYPES = {f4: Float32Array, f8: Float64Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array,
                  i2: Int16Array, u4: Uint32Array, i4: Int32Array};

    LV.setProps = function (id, data) {
        if (id && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(id, {data: data});
        }
    };
    LV.pageAttr = function (name) {
        var page = document.querySelector('.lv-page');
        return page ? page.getAttribute(name) : null;
    };
    LV.navigate = function (request) {
        request.n = Date.now() + Math.random();
        LV.setProps(LV.pageAttr('data-lv-navigate'), request);
    };
    LV.plot = function (container) {
        return container ? container.querySelector('.js-plotly-plot') : null;
    };
    /* a trace array as a plain array-like: plotly keeps typed arrays in _fullData, the b64 spec in data */
    LV.decode = function (arr) {
        if (!arr) { return []; }
        if (arr.bdata !== undefined && arr.dtype) {
            var bin = atob(arr.bdata), buf = new ArrayBuffer(bin.length), bytes = new Uint8Array(buf);
            for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
            return new DTYPES[arr.dtype](buf);
        }
        return arr;
    };
    /* bind(selector, fn): call fn(gd) once for each plotly graph under an element matching selector */
    var binders = [];
    LV.bind = function (selector, fn) { binders.push([selector, fn]); };
    setInterval(function () {
        binders.forEach(function (b) {
            document.querySelectorAll(b[0]).forEach(function (box) {
                var gd = LV.plot(box), key = '_lv' + b[0];
                if (gd && typeof gd.on === 'function' && !gd[key]) { gd[key] = true; b[1](gd, box); }
            });
        });
    }, 250);

    document.addEventListener('click', function (e) {
        var hit = e.target.closest ? e.target.closest('[data-lv-nav-start]') : null;
        if (hit) {
            LV.navigate({dataset: hit.getAttribute('data-lv-nav-dataset'), use: false,
                         start: parseInt(hit.getAttribute('data-lv-nav-start'), 10),
                         stop: parseInt(hit.getAttribute('data-lv-nav-stop'), 10)});
            return;
        }
        var exp = e.target.closest ? e.target.closest('[data-lv-export]') : null;
        if (exp) { exportFigure(exp.getAttribute('data-lv-export'), exp.getAttribute('data-lv-format'),
                                exp.getAttribute('data-lv-filename')); }
    });

    /* A figure of the page as an image (a promise of a data URL). SVG keeps vectors: WebGL traces
       are drawn as their SVG twins. */
    function figureCopy(graphId, format) {
        var gd = LV.plot(document.getElementById(graphId));
        if (!gd || !gd.data || !window.Plotly) { return null; }
        var fl = gd._fullLayout || {};
        var data = gd.data.map(function (t) {
            var c = Object.assign({}, t);
            if (format === 'svg' && c.type === 'scattergl') { c.type = 'scatter'; }
            return c;
        });
        return {figure: {data: data, layout: Object.assign({}, gd.layout)},
                opts: {format: format, width: fl.width || 900, height: fl.height || 500}};
    }
    LV.figureImage = function (graphId, format) {
        var c = figureCopy(graphId, format);
        return c ? window.Plotly.toImage(c.figure, c.opts) : Promise.reject('no figure ' + graphId);
    };
    function exportFigure(graphId, format, filename) {
        var c = figureCopy(graphId, format);
        if (c) { window.Plotly.downloadImage(c.figure, Object.assign(c.opts, {filename: filename || 'figure'})); }
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.lstmvis = {
        replaceUrl: function (data) {
            if (data && typeof data.search === 'string' && data.search !== window.location.search) {
                window.history.replaceState(window.history.state, '',
                    window.location.pathname + data.search + window.location.hash);
                if (window.dash_clientside.set_props) {
                    window.dash_clientside.set_props(LV.pageAttr('data-lv-url'), {search: data.search});
                }
            }
            return window.dash_clientside.no_update;
        }
    };
})();
