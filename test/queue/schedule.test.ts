import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextAllowed, parseSchedule, ScheduleError, storedSchedule, storeSchedule } from '../../src/queue/schedule.js';

test('a full schedule parses: first_attempt, expires and a delivery window', () => {
  const s = parseSchedule('{"first_attempt":"2026-03-01T17:00:00-08:00","expires":"2026-03-03T00:00:00Z","dow":"Mon, wednesday","tz":"America/Phoenix","start":"09:00:00","end":"17:30:00"}');
  assert.equal(s.firstAttempt, Date.parse('2026-03-02T01:00:00Z'));
  assert.equal(s.expires, Date.parse('2026-03-03T00:00:00Z'));
  assert.deepEqual(s.window, { dow: [1, 3], tz: 'America/Phoenix', start: 9 * 3600, end: 17.5 * 3600 });
  // what the spool keeps reads back the same (first_attempt lives on as the message's due time)
  assert.deepEqual(storedSchedule({ schedule: storeSchedule(s) }), { expires: s.expires, window: s.window });
  assert.equal(storeSchedule(parseSchedule('{"first_attempt":"2026-03-01T17:00:00Z"}')), undefined);
});

test('an invalid schedule is refused with the field at fault named', () => {
  const bad: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1]', /not a JSON object/],
    ['{"first_attemp":"2026-03-01T17:00:00Z"}', /unknown field "first_attemp"/],
    ['{"first_attempt":"tomorrow"}', /first_attempt: "tomorrow" is not an RFC 3339 date-time/],
    ['{"first_attempt":"2026-03-01"}', /first_attempt: .* not an RFC 3339/],
    ['{"expires":17}', /expires: a string is required/],
    ['{"dow":"Mon","tz":"UTC","start":"09:00:00"}', /dow, tz, start and end go together: end missing/],
    ['{"dow":"Mon","tz":"PST","start":"09:00:00","end":"17:00:00"}', /tz: "PST" is not an IANA time zone/],
    ['{"dow":"Mon","tz":"Mars/Olympus_Mons","start":"09:00:00","end":"17:00:00"}', /tz: "Mars\/Olympus_Mons" is not an IANA time zone/],
    ['{"dow":"Mon,Funday","tz":"UTC","start":"09:00:00","end":"17:00:00"}', /dow: "Funday" is not a day/],
    ['{"dow":"Mon","tz":"UTC","start":"9am","end":"17:00:00"}', /start: "9am" is not a time of day/],
    ['{"dow":"Mon","tz":"UTC","start":"17:00:00","end":"09:00:00"}', /end \(09:00:00\) must be after start/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseSchedule(text), (e: unknown) => e instanceof ScheduleError && e.code === 'SCHEDULE_INVALID' && re.test(e.message), text);
});

test('nextAllowed: inside the window the time stands, outside it moves to the next start of an allowed day', () => {
  // Phoenix is UTC-7 all year; Mon and Wed, 09:00-17:00
  const s = parseSchedule('{"dow":"Mon,Wed","tz":"America/Phoenix","start":"09:00:00","end":"17:00:00"}');
  const monNoon = Date.parse('2026-12-07T19:00:00Z'); // Monday 12:00 in Phoenix
  assert.equal(nextAllowed(s, monNoon), monNoon);
  assert.equal(nextAllowed(s, Date.parse('2026-12-07T15:59:59Z')), Date.parse('2026-12-07T16:00:00Z')); // Mon 08:59:59 -> 09:00
  assert.equal(nextAllowed(s, Date.parse('2026-12-08T00:00:00Z')), Date.parse('2026-12-09T16:00:00Z')); // Mon 17:00 -> Wed 09:00
  assert.equal(nextAllowed(s, Date.parse('2026-12-10T03:00:00Z')), Date.parse('2026-12-14T16:00:00Z')); // Wed 20:00 -> next Mon
  assert.equal(nextAllowed(undefined, monNoon), monNoon);
  assert.equal(nextAllowed(parseSchedule('{"expires":"2026-12-31T00:00:00Z"}'), monNoon), monNoon);
});

test('nextAllowed follows daylight saving time in the window\'s zone', () => {
  // Berlin: CET (UTC+1) until 2027-03-28 02:00, CEST (UTC+2) after; Mondays 09:00-17:00
  const s = parseSchedule('{"dow":"Monday","tz":"Europe/Berlin","start":"09:00:00","end":"17:00:00"}');
  assert.equal(nextAllowed(s, Date.parse('2027-03-21T12:00:00Z')), Date.parse('2027-03-22T08:00:00Z')); // winter
  assert.equal(nextAllowed(s, Date.parse('2027-03-28T12:00:00Z')), Date.parse('2027-03-29T07:00:00Z')); // summer
});
