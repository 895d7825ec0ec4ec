// The live channel page (devserver/realtime/static): connects to the WebSocket API it
// was served by, subscribes to one channel and shows its messages as they arrive.
// Text only (textContent): message content is never parsed as HTML here.
"use strict";

(function () {
  const form = document.getElementById("connect");
  const statusLine = document.getElementById("status");
  const typingLine = document.getElementById("typing");
  const list = document.getElementById("messages");
  const typists = new Map(); // userId -> timer that forgets them
  let socket = null;
  let pinger = null;

  const preset = new URLSearchParams(location.search).get("channel");
  if (preset) document.getElementById("channel").value = preset;

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function render(message) {
    let item = list.querySelector(`li[data-id="${CSS.escape(message.id)}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.id = message.id;
      const author = document.createElement("span");
      author.className = "author";
      const content = document.createElement("span");
      content.className = "content";
      item.append(author, content);
      list.append(item);
    }
    item.querySelector(".author").textContent = message.authorId || "";
    item.querySelector(".content").textContent = message.deleted ? "(deleted)" : message.content || "";
    item.classList.toggle("deleted", Boolean(message.deleted));
  }

  function showTyping(userId) {
    clearTimeout(typists.get(userId));
    typists.set(userId, setTimeout(() => { typists.delete(userId); updateTyping(); }, 4000));
    updateTyping();
  }

  function updateTyping() {
    const who = [...typists.keys()];
    typingLine.textContent = who.length ? `${who.join(", ")} typing…` : "";
  }

  function onFrame(frame, channelId) {
    switch (frame.type) {
      case "subscribed":
        setStatus(`Live: channel ${channelId}`);
        break;
      case "error":
        setStatus(`Error: ${frame.error && frame.error.code} ${frame.error && frame.error.message}`);
        break;
      case "message.created":
      case "message.updated":
        if (frame.channelId === channelId && !frame.data.threadId) render(frame.data);
        break;
      case "message.deleted":
        if (frame.channelId === channelId) render({ ...frame.data, deleted: true });
        break;
      case "typing":
        if (frame.channelId === channelId) showTyping(frame.userId);
        break;
      default:
        break; // reactions, membership, notifications: not shown on this page
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    const channelId = form.elements.channel.value.trim();
    if (socket) socket.close(1000);
    list.replaceChildren();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/?token=${encodeURIComponent(token)}`);
    setStatus("Connecting…");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "subscribe", channelId }));
      clearInterval(pinger);
      // API Gateway closes a connection idle for 10 minutes.
      pinger = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), 5 * 60 * 1000);
    });
    socket.addEventListener("message", (msg) => {
      try {
        onFrame(JSON.parse(msg.data), channelId);
      } catch (err) {
        console.error("unreadable frame", err);
      }
    });
    socket.addEventListener("close", (closed) => {
      clearInterval(pinger);
      setStatus(`Disconnected (${closed.code})`);
    });
  });
})();
