// An intrusive FIFO of items waiting for a deadline. Every item in one list
// gets the same timeout, so insertion order is deadline order and the
// earliest deadline is always at the front: O(1) insert, remove and expiry,
// no allocation. An item is in at most one list. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qilin::worker {

class DeadlineList;

struct DeadlineNode {
  DeadlineNode* prev = nullptr;
  DeadlineNode* next = nullptr;
  DeadlineList* list = nullptr;
  int64_t deadline_ms = 0;
};

class DeadlineList {
 public:
  void push_back(DeadlineNode* node, int64_t deadline_ms) {
    if (node->list) node->list->remove(node);
    node->deadline_ms = deadline_ms;
    node->list = this;
    node->prev = tail_;
    node->next = nullptr;
    if (tail_) tail_->next = node;
    else head_ = node;
    tail_ = node;
    ++size_;
  }
  void remove(DeadlineNode* node) {
    if (node->list != this) return;
    if (node->prev) node->prev->next = node->next;
    else head_ = node->next;
    if (node->next) node->next->prev = node->prev;
    else tail_ = node->prev;
    node->prev = node->next = nullptr;
    node->list = nullptr;
    --size_;
  }
  DeadlineNode* front() const { return head_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  DeadlineNode* head_ = nullptr;
  DeadlineNode* tail_ = nullptr;
  size_t size_ = 0;
};

// Removes `node` from whatever list holds it.
inline void unlink(DeadlineNode* node) {
  if (node->list) node->list->remove(node);
}

}  // namespace qilin::worker
