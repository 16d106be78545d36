/* DataSud: the advanced search panel of the search page opens and closes (its button's
 * aria-expanded follows); the map inside it is told its size once visible. Without
 * JavaScript the panel stays open (search.css hides it only under `.js`). */
this.ckan.module('datasud-advanced-search', function ($) {
  return {
    initialize: function () {
      var button = this.el;
      var panel = $('#' + button.attr('aria-controls'));
      button.on('click', function () {
        var open = button.attr('aria-expanded') !== 'true';
        button.attr('aria-expanded', open ? 'true' : 'false');
        panel.toggleClass('is-closed', !open);
        if (open) {
          window.dispatchEvent(new Event('resize'));
          panel.find('select, input').first().trigger('focus');
        }
      });
    }
  };
});

/* Words of other modules' JavaScript (ckanext-spatial's map filter has no French
 * catalogue), given translated by the template: added to CKAN's JavaScript catalogue
 * before those modules start (this element comes first in the page). */
this.ckan.module('datasud-js-strings', function () {
  return {
    initialize: function () {
      var lang = document.documentElement.lang || '';
      var strings = this.options.strings || {};
      if (!lang || lang.indexOf('en') === 0) {
        return;
      }
      var data = {'': {domain: 'ckan', lang: lang, plural_forms: 'nplurals=2; plural=(n > 1);'}};
      Object.keys(strings).forEach(function (msgid) {
        data[msgid] = [null, strings[msgid]];
      });
      ckan.i18n.load(data);
    }
  };
});

/* A map box the search ignored (not four numbers: the page says so) is taken out of
 * the address before ckanext-spatial's module reads it from there: it would draw
 * nothing and send it again with the next search. */
this.ckan.module('datasud-map-box', function () {
  return {
    initialize: function () {
      if (!window.URLSearchParams || !window.history || !window.history.replaceState) {
        return;
      }
      var params = new URLSearchParams(window.location.search);
      var box = params.get('ext_bbox');
      if (box === null) {
        return;
      }
      var numbers = box.split(',').map(Number);
      var valid = numbers.length === 4 && numbers.every(function (n) { return box.trim() !== '' && isFinite(n); });
      if (!valid) {
        params.delete('ext_bbox');
        var query = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : '') + window.location.hash);
      }
    }
  };
});
