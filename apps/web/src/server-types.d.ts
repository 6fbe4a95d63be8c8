// Type-checking AppRouter walks the server's sources; the request.cookies and
// reply.setCookie types they use come from @fastify/cookie's augmentation of
// Fastify, which only loads when some file in the program imports it.
import type {} from '@fastify/cookie';
