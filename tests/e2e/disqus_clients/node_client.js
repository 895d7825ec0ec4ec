#!/usr/bin/env node
// npm disqus-node (0.13.0), used as its README says, unmodified, against Disqua's /api/3.0:
// only its `config.url` (the base every call is built on) points at the local runtime.
// tests/e2e/test_disqus_clients.py runs it and checks what it prints.
//
// Calls: forums.details, forums.listThreads, posts.create, posts.vote, posts.details, posts.list
// (the library's own resources) and threads/create, details, list (see below).
//
// Usage: node node_client.js '{"base": "http://127.0.0.1:PORT/api/3.0/", "secret": "dqa_...",
//                              "forum": "<slug>", "identifier": "<thread identifier>"}'
// Prints one JSON object: every call's answer as the library resolved it.
//
// disqus-node 0.13 has no Threads resource (its API predates Disqus's threads/* docs), so
// threads/* go through the library's own request helper (util.executeAPIMethod: the same
// URL building, query-string serialisation, POST-in-the-query and code check its Forums and
// Posts resources use), with a method table written like the library's own.
'use strict';

const Disqus = require('disqus-node');
const util = require('disqus-node/lib/util');

const THREADS = {
  create: {
    resource: 'threads', name: 'create', method: 'POST',
    requiredOptions: ['api_secret', 'forum', 'title'],
    // No 'url': the library copies any option that is also a config key from its config,
    // and config.url is the API base, so every thread would get the API's address as link.
    availableOptions: ['identifier', 'message', 'slug', 'date'],
  },
  details: {
    resource: 'threads', name: 'details', method: 'GET',
    requiredOptions: ['api_secret', 'thread'],
    availableOptions: ['forum', 'related'],
  },
  list: {
    resource: 'threads', name: 'list', method: 'GET',
    requiredOptions: ['api_secret'],
    availableOptions: ['forum', 'thread', 'order', 'limit', 'cursor', 'include'],
  },
};

// A call that fails is part of the answer (the library rejects with the envelope as text).
function settle(promise) {
  return promise.then(
    (answer) => ({ ok: true, answer }),
    (error) => {
      let envelope = null;
      try { envelope = JSON.parse(error.message); } catch (_) { /* not an envelope */ }
      return { ok: false, error: envelope || error.message };
    },
  );
}

async function main() {
  const args = JSON.parse(process.argv[2]);
  const disqus = new Disqus({ api_secret: args.secret, logLevel: 'error' });
  disqus.config.url = args.base; // the library's default is http(s)://disqus.com/api/3.0/
  const threads = (method, options) => util.executeAPIMethod(THREADS[method], options, disqus.config);

  const out = {};
  out.forum = await settle(disqus.forums.details({ forum: args.forum }));
  out.unknownForum = await settle(disqus.forums.details({ forum: `${args.forum}-nope` }));
  out.created = await settle(threads('create', {
    forum: args.forum,
    title: 'Hello from disqus-node',
    identifier: args.identifier,
    message: 'A post about clients',
  }));
  if (!out.created.ok) {
    process.stdout.write(JSON.stringify(out));
    return;
  }
  const thread = out.created.answer.response.id;
  out.details = await settle(threads('details', { forum: args.forum, thread: `ident:${args.identifier}` }));
  out.list = await settle(threads('list', { forum: args.forum, limit: 100 }));
  out.forumThreads = await settle(disqus.forums.listThreads({ forum: args.forum, limit: 100 }));
  out.post = await settle(disqus.posts.create({ thread, message: 'First comment, *from Node*' }));
  if (out.post.ok) {
    const parent = out.post.answer.response.id;
    out.reply = await settle(disqus.posts.create({ parent, message: 'A reply to the first comment' }));
    out.vote = await settle(disqus.posts.vote({ post: parent, vote: 1 }));
    out.postDetails = await settle(disqus.posts.details({ post: parent }));
  }
  out.posts = await settle(disqus.posts.list({ thread, order: 'asc', limit: 10 }));
  out.threadAfter = await settle(threads('details', { thread }));
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
