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
