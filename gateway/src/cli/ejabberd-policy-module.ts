// mod_herald_policy: Herald's end-to-end encryption policy (xmpp.e2ee) on ejabberd, which carries
// the chat in xmpp.mode=external. The embedded server enforces it itself (xmpp/modules/e2ee-policy.ts
// refuses encrypted messages, omemo-policy.ts OMEMO publishes); ejabberd has no such setting, so
// `herald-gateway ejabberd config` writes this Erlang module beside the ejabberd.yml, compiles it with
// erlc (Debian: erlang-base, which ejabberd depends on) against ejabberd's and p1_xmpp's headers, and
// loads it per virtual host with the host's policy (`e2ee: allow | deny`, ejabberd-config.ts). Its
// hooks (ejabberd 23.01): user_send_packet at priority 10, before mod_mam (88) archives the sender's
// copy and mod_carboncopy (89) copies it — so a refused message is in no archive and no log; and
// the global filter_packet, for what other servers send to a host's users and rooms and for reading
// OMEMO nodes published while the policy allowed them. The same texts and conditions as the
// embedded server's: <policy-violation/> + E2EE_DENIED_TEXT for messages, <not-allowed/> for OMEMO
// publishes (a unit test checks they stay the same).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const POLICY_MODULE = 'mod_herald_policy';

export const POLICY_MODULE_ERL = `%% Herald's end-to-end encryption policy (xmpp.e2ee) on ejabberd: written and compiled by
%% "herald-gateway ejabberd config"; generated, do not edit (README "Running IM on an ejabberd cluster").
%% Option e2ee (allow | deny), per virtual host (append_host_config). Under deny, as Herald's
%% embedded server (gateway/src/xmpp/modules/e2ee-policy.ts, omemo-policy.ts):
%%  - an encrypted message (OMEMO, OpenPGP, legacy PGP, XEP-0380, OTR) sent by a user of the host,
%%    or to a user or room (conference.<host>) of the host, is refused with <policy-violation/>
%%    (RFC 6120 8.3.3.12) before mod_mam archives it or anything routes it;
%%  - publishing or configuring an OMEMO node (XEP-0384 device list, bundles) is refused with
%%    <not-allowed/>, and OMEMO nodes published while it was allowed are hidden.
-module(mod_herald_policy).
-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1, mod_doc/0]).
-export([user_send_packet/1, filter_packet/1]).

-include("xmpp.hrl").
-include("logger.hrl").

-define(E2EE_DENIED_TEXT, <<"end-to-end encrypted messages are not allowed by your organisation's policy: every message is logged centrally">>).
-define(NS_PUBSUB_EVENT_, <<"http://jabber.org/protocol/pubsub#event">>).

start(Host, _Opts) ->
    %% Before mod_mam (88) archives the sender's copy and mod_carboncopy (89) copies it.
    ejabberd_hooks:add(user_send_packet, Host, ?MODULE, user_send_packet, 10),
    %% Global: what reaches this host's users from elsewhere (another server), and PEP reads.
    ejabberd_hooks:add(filter_packet, ?MODULE, filter_packet, 10),
    ok.

stop(Host) ->
    ejabberd_hooks:delete(user_send_packet, Host, ?MODULE, user_send_packet, 10),
    case gen_mod:is_loaded_elsewhere(Host, ?MODULE) of
        false -> ejabberd_hooks:delete(filter_packet, ?MODULE, filter_packet, 10);
        true -> ok
    end,
    ok.

%% The option is read for each stanza: a reload_config with a new value takes effect at once.
reload(_Host, _NewOpts, _OldOpts) -> ok.

depends(_Host, _Opts) -> [].

mod_opt_type(e2ee) -> econf:enum([allow, deny]).

mod_options(_Host) -> [{e2ee, deny}].

mod_doc() -> #{desc => <<"Herald's end-to-end encryption policy (xmpp.e2ee).">>}.

%% ---- hooks ---------------------------------------------------------------------------------

user_send_packet({#message{type = error}, _} = Acc) ->
    Acc;
user_send_packet({#message{from = From, to = To} = Pkt, State} = Acc) ->
    case encrypted(Pkt) andalso denied([From#jid.lserver, user_domain(To)]) of
        false -> Acc;
        Domain ->
            ?INFO_MSG("encrypted message refused (xmpp.e2ee deny for ~ts): from ~ts to ~ts",
                      [Domain, jid:encode(From), jid_text(To)]),
            {stop, {drop, xmpp_stream_in:send_error(State, Pkt, policy_violation())}}
    end;
user_send_packet({#iq{type = set, from = From, sub_els = [El]} = Pkt, State} = Acc) ->
    Domain = From#jid.lserver,
    case policy(Domain) == deny andalso omemo_write(to_xmlel(El)) of
        true ->
            Text = <<"end-to-end encryption (OMEMO) is not allowed for ", Domain/binary,
                     " by your company's policy: every message is kept readable in the central log">>,
            {stop, {drop, xmpp_stream_in:send_error(State, Pkt, cancel('not-allowed', Text))}};
        false -> Acc
    end;
user_send_packet(Acc) ->
    Acc.

filter_packet(drop) ->
    drop;
%% An encrypted message from another server to a user or room of a host under deny.
filter_packet(#message{type = Type, from = From, to = To} = Pkt) when Type /= error ->
    case user_domain(From) == undefined andalso encrypted(Pkt) andalso denied([user_domain(To)]) of
        false ->
            hide_event(Pkt);
        Domain ->
            ?INFO_MSG("encrypted message refused (xmpp.e2ee deny for ~ts): from ~ts to ~ts",
                      [Domain, jid_text(From), jid_text(To)]),
            ejabberd_router:route_error(Pkt, policy_violation()),
            drop
    end;
%% Reading an OMEMO node of a user under deny: none (published while it was allowed, now hidden).
filter_packet(#iq{type = get, to = #jid{luser = U, lresource = <<"">>, lserver = S}, sub_els = [El]} = Pkt)
  when U /= <<"">> ->
    case policy(S) == deny andalso omemo_read(to_xmlel(El)) of
        true ->
            ejabberd_router:route_error(Pkt, xmpp:err_item_not_found()),
            drop;
        false -> Pkt
    end;
filter_packet(Pkt) ->
    Pkt.

%% A PEP notification of an OMEMO node from a user under deny is not delivered.
hide_event(#message{from = #jid{luser = U, lserver = S, lresource = <<"">>}, sub_els = Els} = Pkt)
  when U /= <<"">> ->
    case policy(S) == deny andalso lists:any(fun omemo_event/1, [to_xmlel(E) || E <- Els]) of
        true -> drop;
        false -> Pkt
    end;
hide_event(Pkt) ->
    Pkt.

%% type cancel, as the embedded server answers (xmpp:err_policy_violation/2 would say modify).
policy_violation() -> cancel('policy-violation', ?E2EE_DENIED_TEXT).

cancel(Reason, Text) ->
    #stanza_error{type = cancel, reason = Reason, text = [#text{lang = <<"en">>, data = Text}]}.

%% ---- the policy ----------------------------------------------------------------------------

%% The first of these domains whose policy is deny, or false.
denied(Domains) ->
    case [D || D <- Domains, D /= undefined, policy(D) == deny] of
        [D | _] -> D;
        [] -> false
    end.

policy(Host) ->
    case lists:member(Host, ejabberd_option:hosts()) andalso gen_mod:is_loaded(Host, ?MODULE) of
        true -> gen_mod:get_module_opt(Host, ?MODULE, e2ee);
        false -> allow
    end.

%% The virtual host an address belongs to: a user's, or that of its conference./upload. service.
user_domain(undefined) ->
    undefined;
user_domain(#jid{lserver = S}) ->
    Hosts = ejabberd_option:hosts(),
    case lists:member(S, Hosts) of
        true -> S;
        false ->
            case binary:split(S, <<".">>) of
                [_, Parent] ->
                    case lists:member(Parent, Hosts) of
                        true -> Parent;
                        false -> undefined
                    end;
                _ -> undefined
            end
    end.

%% ---- what counts as encrypted (gateway/src/xmpp/modules/encrypted-message.ts) ---------------

encrypted(#message{body = Body, sub_els = Els}) ->
    lists:any(fun payload/1, [to_xmlel(E) || E <- Els]) orelse otr_body(xmpp:get_text(Body)).

payload(#xmlel{name = Name, attrs = Attrs}) ->
    lists:member({Name, fxml:get_attr_s(<<"xmlns">>, Attrs)},
                 [{<<"encrypted">>, <<"eu.siacs.conversations.axolotl">>},
                  {<<"encrypted">>, <<"urn:xmpp:omemo:2">>},
                  {<<"openpgp">>, <<"urn:xmpp:openpgp:0">>},
                  {<<"x">>, <<"jabber:x:encrypted">>},
                  {<<"encryption">>, <<"urn:xmpp:eme:0">>}]);
payload(_) ->
    false.

%% OTR puts its ciphertext (and query and whitespace tags) in the body: "?OTR:", "?OTRv3?".
otr_body(<<"?OTR", C, _/binary>>) -> lists:member(C, ":v?,");
otr_body(_) -> false.

%% ---- OMEMO nodes (gateway/src/xmpp/modules/omemo-policy.ts) ----------------------------------

omemo_node(<<"eu.siacs.conversations.axolotl.devicelist">>) -> true;
omemo_node(<<"eu.siacs.conversations.axolotl.bundles:", _/binary>>) -> true;
omemo_node(<<"urn:xmpp:omemo:2:devices">>) -> true;
omemo_node(<<"urn:xmpp:omemo:2:bundles">>) -> true;
omemo_node(_) -> false.

%% <pubsub><publish node/></pubsub>, or configuring/creating such a node (also pubsub#owner).
omemo_write(#xmlel{name = <<"pubsub">>, children = Children} = El) ->
    pubsub_ns(El) andalso
        lists:any(fun(#xmlel{name = N} = C) ->
                          lists:member(N, [<<"publish">>, <<"configure">>, <<"create">>])
                              andalso omemo_node(fxml:get_tag_attr_s(<<"node">>, C));
                     (_) -> false
                  end, Children);
omemo_write(_) ->
    false.

omemo_read(#xmlel{name = <<"pubsub">>, children = Children} = El) ->
    pubsub_ns(El) andalso
        lists:any(fun(#xmlel{name = N} = C) ->
                          lists:member(N, [<<"items">>, <<"configure">>, <<"subscribe">>])
                              andalso omemo_node(fxml:get_tag_attr_s(<<"node">>, C));
                     (_) -> false
                  end, Children);
omemo_read(_) ->
    false.

omemo_event(#xmlel{name = <<"event">>, children = Children} = El) ->
    fxml:get_tag_attr_s(<<"xmlns">>, El) == ?NS_PUBSUB_EVENT_ andalso
        lists:any(fun(#xmlel{} = C) -> omemo_node(fxml:get_tag_attr_s(<<"node">>, C));
                     (_) -> false
                  end, Children);
omemo_event(_) ->
    false.

pubsub_ns(El) ->
    lists:member(fxml:get_tag_attr_s(<<"xmlns">>, El),
                 [<<"http://jabber.org/protocol/pubsub">>, <<"http://jabber.org/protocol/pubsub#owner">>]).

to_xmlel(#xmlel{} = El) -> El;
to_xmlel(El) ->
    try xmpp:encode(El) catch _:_ -> #xmlel{} end.

jid_text(undefined) -> <<"">>;
jid_text(J) -> jid:encode(J).
`;

/** ejabberd's headers and ebin (for -behaviour(gen_mod)) and p1_xmpp's headers (xmpp.hrl), as erlc needs them. */
export interface EjabberdHeaders {
  ejabberdInclude: string;
  ejabberdEbin: string;
  xmppInclude: string;
}

/** Folders that hold Erlang applications on the usual installations (Debian's, ProcessOne's installers, source builds). */
function libFolders(): string[] {
  const multiarch = (() => {
    try {
      return readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).map((d) => path.join('/usr/lib', d));
    } catch {
      return [];
    }
  })();
  return [...multiarch, '/usr/lib', '/usr/local/lib', '/opt/ejabberd/lib', '/usr/lib/erlang/lib', '/usr/local/lib/erlang/lib'];
}

function appIn(folder: string, name: RegExp, marker: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return undefined;
  }
  const found = entries.filter((e) => name.test(e) && existsSync(path.join(folder, e, marker))).sort();
  return found.length ? path.join(folder, found[found.length - 1]!) : undefined;
}

/**
 * Where ejabberd's and p1_xmpp's headers are: under `libDir` when given (the folder holding
 * ejabberd-<version>/, or that folder itself), otherwise the usual places.
 */
export function findEjabberdHeaders(libDir?: string): EjabberdHeaders | undefined {
  const folders = libDir ? [libDir, path.dirname(libDir)] : libFolders();
  const ejabberdApp = /^ejabberd(-\d[^/]*)?$/;
  let ejabberd: string | undefined;
  for (const f of folders) {
    ejabberd = existsSync(path.join(f, 'include', 'logger.hrl')) && ejabberdApp.test(path.basename(f)) ? f : appIn(f, ejabberdApp, path.join('include', 'logger.hrl'));
    if (ejabberd) break;
  }
  if (!ejabberd) return undefined;
  // p1_xmpp beside ejabberd (installers, source builds) or in Erlang's own lib folder (Debian's erlang-p1-xmpp).
  const xmppApp = /^(p1_)?xmpp(-\d[^/]*)?$/;
  const xmpp = [path.dirname(ejabberd), '/usr/lib/erlang/lib', '/usr/local/lib/erlang/lib'].map((f) => appIn(f, xmppApp, path.join('include', 'xmpp.hrl'))).find(Boolean);
  if (!xmpp) return undefined;
  return { ejabberdInclude: path.join(ejabberd, 'include'), ejabberdEbin: path.join(ejabberd, 'ebin'), xmppInclude: path.join(xmpp, 'include') };
}

export type CompiledPolicyModule = { ebin: string; source: string } | { source: string; ebin: string; notCompiled: string; command: string };

/**
 * Writes mod_herald_policy.erl into `dir` and compiles it into `dir`/ebin. When it cannot be
 * compiled here (no erlc, no ejabberd headers: the gateway on a machine without ejabberd), the
 * source is still written and `command` is the erlc line to run on a node.
 */
export function compilePolicyModule(o: { dir: string; libDir?: string; erlc?: string }): CompiledPolicyModule {
  mkdirSync(path.join(o.dir, 'ebin'), { recursive: true });
  const source = path.join(o.dir, `${POLICY_MODULE}.erl`);
  const ebin = path.join(o.dir, 'ebin');
  writeFileSync(source, POLICY_MODULE_ERL);
  const headers = findEjabberdHeaders(o.libDir);
  const args = (h: EjabberdHeaders) => ['-I', h.ejabberdInclude, '-I', h.xmppInclude, '-pa', h.ejabberdEbin, '-o', ebin, source];
  const generic = `erlc -I <ejabberd>/include -I <p1_xmpp>/include -pa <ejabberd>/ebin -o ${ebin} ${source}`;
  if (!headers) return { source, ebin, notCompiled: "ejabberd's headers (ejabberd-*/include/logger.hrl) or p1_xmpp's (include/xmpp.hrl) were not found (--ejabberd-lib DIR says where)", command: generic };
  const command = ['erlc', ...args(headers)].join(' ');
  const r = spawnSync(o.erlc ?? 'erlc', args(headers), { encoding: 'utf8' });
  if (r.error) return { source, ebin, notCompiled: `erlc did not run (${r.error.message}): it is in Erlang's erlang-base package`, command };
  if (r.status !== 0) return { source, ebin, notCompiled: `erlc failed: ${(r.stdout + r.stderr).trim().slice(0, 2000)}`, command };
  return { source, ebin };
}
