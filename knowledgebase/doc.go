// Package knowledgebase is the shared policy and business Q&A knowledge base
// (知识库) and the service-item catalogue (办事指南): entries, items, their
// lifecycle, and the Index contract that the embedded and Meilisearch
// backends implement.
package knowledgebase
