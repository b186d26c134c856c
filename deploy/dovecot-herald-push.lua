-- Herald: Dovecot tells the gateway about every mailbox change as it happens.
-- push_notification_lua (Dovecot 2.3) calls one function per event of a mail transaction and
-- dovecot_lua_notify_end_txn once at its end: all the events of one transaction (a delivery, a
-- STORE on 100 messages, an EXPUNGE) go to the gateway in ONE POST, synchronously, so the
-- gateway hears of a change before the client that made it gets its OK.
-- Settings (plugin section, see deploy/dovecot-herald-push.conf): herald_push_url,
-- herald_push_token. Shipped with the gateway; the README's "Mail push from Dovecot" section
-- points here and the gateway's tests run Dovecot with exactly this file.

local client = nil
-- Past this many events in one transaction (a flag change on a whole folder), one `Changes`
-- event per mailbox is sent instead: the gateway reads the counters afresh either way.
local MAX_EVENTS = 200

local function json_string(s)
  return '"' .. string.gsub(tostring(s), '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == '\\' then return '\\\\' end
    return string.format('\\u%04x', string.byte(c))
  end) .. '"' -- UTF-8 bytes pass through as they are
end

local function json_object(t)
  local out = {}
  for k, v in pairs(t) do
    out[#out + 1] = json_string(k) .. ':' .. (type(v) == 'number' and string.format('%d', v) or json_string(v))
  end
  return '{' .. table.concat(out, ',') .. '}'
end

function dovecot_lua_notify_begin_txn(user)
  return {
    user = user.username,
    url = user:plugin_getenv('herald_push_url'),
    token = user:plugin_getenv('herald_push_token'),
    events = {},
    mailboxes = {},
  }
end

local function add(ctx, e)
  ctx.mailboxes[e.mailbox] = true
  if #ctx.events <= MAX_EVENTS then ctx.events[#ctx.events + 1] = e end
end

local function message(name)
  return function(ctx, event)
    add(ctx, { event = name, mailbox = event.mailbox, uid = event.uid, uidValidity = event.uid_validity })
  end
end

dovecot_lua_notify_event_message_new = message('MessageNew')
dovecot_lua_notify_event_message_append = message('MessageAppend')
dovecot_lua_notify_event_message_expunge = message('MessageExpunge')
dovecot_lua_notify_event_flags_set = message('FlagsSet')
dovecot_lua_notify_event_flags_clear = message('FlagsClear')

local function mailbox(name)
  return function(ctx, event)
    add(ctx, { event = name, mailbox = event.mailbox })
  end
end

dovecot_lua_notify_event_mailbox_create = mailbox('MailboxCreate')
dovecot_lua_notify_event_mailbox_delete = mailbox('MailboxDelete')

function dovecot_lua_notify_event_mailbox_rename(ctx, event)
  add(ctx, { event = 'MailboxRename', mailbox = event.mailbox, oldMailbox = event.mailbox_old })
end

function dovecot_lua_notify_end_txn(ctx, success)
  if not success or #ctx.events == 0 or not ctx.url or ctx.url == '' then return end
  local events = {}
  if #ctx.events > MAX_EVENTS then
    for name in pairs(ctx.mailboxes) do events[#events + 1] = json_object({ event = 'Changes', mailbox = name }) end
  else
    for i, e in ipairs(ctx.events) do events[i] = json_object(e) end
  end
  if client == nil then
    -- Short timeouts: a gateway that is down must not hold up deliveries (it catches up with a
    -- full LIST-STATUS of every watched user when it starts).
    client = dovecot.http.client({ timeout = 2000, max_attempts = 1, request_max_attempts = 1, user_agent = 'dovecot-herald-push' })
  end
  local req = client:request({ url = ctx.url, method = 'POST' })
  req:add_header('Content-Type', 'application/json')
  req:add_header('Authorization', 'Bearer ' .. (ctx.token or ''))
  req:set_payload('{"user":' .. json_string(ctx.user) .. ',"events":[' .. table.concat(events, ',') .. ']}')
  local res = req:submit()
  local status = res:status()
  if status < 200 or status > 299 then
    dovecot.i_error('herald push to ' .. ctx.url .. ' failed: ' .. tostring(status) .. ' ' .. tostring(res:reason()))
  end
end
