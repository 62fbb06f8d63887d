// Package message is the website's citizen interaction column (政民互动 留言):
// a citizen leaves a message, it becomes a ticket on the website channel,
// the citizen follows it by code and the last four digits of their phone,
// and once reviewed the reply is published with the received date, reply
// date, replying department and reply, personal data removed. A published
// reply can become a knowledge-base draft in one step.
package message
