/* Web Push in the app's service worker (imported by the Workbox worker vite-plugin-pwa builds).
 * The broker sends {type, title, body, data, createdAt} (docs/mobile-path.md §6): show it, and
 * on a tap focus the app on that alarm (or the notification list). */
/* eslint-disable */
self.addEventListener('push', function (event) {
  var n = {};
  try {
    n = event.data ? event.data.json() : {};
  } catch (e) {
    n = { title: event.data ? event.data.text() : 'Lanbridge' };
  }
  var inner = n.notification || n;
  var data = inner.data || {};
  var alarmId = data.alarmId || (inner.type === 'alarm' ? data.id : undefined);
  var target = alarmId ? '#/alarms/' + encodeURIComponent(alarmId) : '#/notifications';
  event.waitUntil(
    self.registration.showNotification(inner.title || 'Lanbridge', {
      body: inner.body || '',
      icon: '/app/icon-192.png',
      badge: '/app/icon-192.png',
      tag: alarmId ? 'alarm-' + alarmId : undefined,
      data: { url: '/app/' + target },
    }),
  );
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/app/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
      for (var i = 0; i < list.length; i++) {
        var c = list[i];
        if (c.url.indexOf('/app/') !== -1 && 'focus' in c) {
          return c.navigate(url).then(function (w) {
            return (w || c).focus();
          });
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
